/// The result of transcribing one utterance.
public struct Transcript: Sendable, Equatable {
    /// Recognised text.
    public var text: String
    /// Detected or assumed language, if the provider reports it.
    public var language: String?
    /// Duration of the transcribed audio in seconds, if known.
    public var duration: Double?
    /// Confidence in 0...1, if the provider reports one.
    public var confidence: Double?

    /// Creates a transcript.
    public init(text: String, language: String? = nil, duration: Double? = nil, confidence: Double? = nil) {
        self.text = text
        self.language = language
        self.duration = duration
        self.confidence = confidence
    }
}
