/// One utterance to transcribe: mono PCM16 samples plus hints.
public struct TranscriptionRequest: Sendable, Equatable {
    /// Mono 16-bit PCM samples.
    public var samples: [Int16]
    /// Sample rate of `samples` in Hz.
    public var sampleRate: Int
    /// ISO-639-1 language hint (for example `en`), if known.
    public var language: String?
    /// Text that biases the recogniser (names, earlier context).
    public var prompt: String?

    /// Creates a request.
    public init(samples: [Int16], sampleRate: Int, language: String? = nil, prompt: String? = nil) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.language = language
        self.prompt = prompt
    }

    /// Audio duration in seconds.
    public var duration: Double {
        sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0
    }
}
