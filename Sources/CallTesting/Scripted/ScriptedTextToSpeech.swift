import CallAudio
import SpeechServices

/// A ``TextToSpeech`` that plays scripted responses. The default answer is a 440 Hz tone
/// whose length grows with the text (10 ms per character, at least 100 ms), in 20 ms chunks.
public final class ScriptedTextToSpeech: TextToSpeech {
    /// Name and model reported to the resilience layer.
    public let descriptor: ProviderDescriptor
    /// Format of every chunk.
    public let format: AudioFormat
    /// Voice used when a request names none.
    public let defaultVoice: String
    private let clock: any ResilienceClock
    private let script: ScriptQueue<ScriptedResponse<AudioChunk>?, SpeechSynthesisRequest>

    /// Creates a scripted synthesizer.
    public init(
        name: String = "scripted-tts",
        model: String = "scripted",
        format: AudioFormat = .pcm24k,
        defaultVoice: String = "scripted-voice",
        clock: any ResilienceClock = SystemResilienceClock()
    ) {
        descriptor = ProviderDescriptor(name: name, model: model)
        self.format = format
        self.defaultVoice = defaultVoice
        self.clock = clock
        script = ScriptQueue(default: nil)
    }

    /// A tone of `milliseconds` in 20 ms chunks of `format`.
    public static func tone(milliseconds: Int, format: AudioFormat = .pcm24k) -> [AudioChunk] {
        let bytes = ToneGenerator.pcm16(frequency: 440, milliseconds: milliseconds, sampleRate: format.sampleRate)
        let chunkBytes = max(2, format.sampleRate / 50 * 2)
        return stride(from: 0, to: bytes.count, by: chunkBytes).map {
            AudioChunk(format: format, bytes: Array(bytes[$0..<min($0 + chunkBytes, bytes.count)]))
        }
    }

    /// Queues responses for the next calls.
    public func enqueue(_ responses: ScriptedResponse<AudioChunk>...) {
        script.enqueue(responses)
    }

    /// Requests received so far, in order.
    public var requests: [SpeechSynthesisRequest] { script.requests }
    /// Number of calls received.
    public var callCount: Int { script.requests.count }

    /// The configured format.
    public func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { format }

    /// The request's voice or the default voice.
    public func resolvedVoice(for request: SpeechSynthesisRequest) -> String { request.voice ?? defaultVoice }

    /// Plays the next response.
    public func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let script = self.script
        let clock = self.clock
        let name = descriptor.name
        let format = self.format
        return ProviderStream(provider: name) { continuation throws(ProviderError) in
            let response = script.next(for: request)
                ?? ScriptedResponse(elements: Self.tone(milliseconds: max(100, request.text.count * 10), format: format))
            try await response.play(into: continuation, clock: clock, provider: name)
        }
    }
}

/// Generates deterministic PCM16 test tones.
public enum ToneGenerator {
    /// A sine tone at half scale as little-endian PCM16 bytes.
    public static func pcm16(frequency: Double, milliseconds: Int, sampleRate: Int) -> [UInt8] {
        let count = sampleRate * milliseconds / 1000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 2)
        var phase = 0.0
        let step = 2 * Double.pi * frequency / Double(sampleRate)
        for _ in 0..<count {
            let sample = Int16(16_000 * sine(phase))
            phase += step
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            let raw = UInt16(bitPattern: sample)
            bytes.append(UInt8(raw & 0xFF))
            bytes.append(UInt8(raw >> 8))
        }
        return bytes
    }

    /// A sine via a short Taylor series around the nearest quarter turn (no Foundation needed).
    private static func sine(_ x: Double) -> Double {
        var value = x.truncatingRemainder(dividingBy: 2 * Double.pi)
        if value > Double.pi { value -= 2 * Double.pi }
        if value > Double.pi / 2 { value = Double.pi - value }
        if value < -Double.pi / 2 { value = -Double.pi - value }
        let square = value * value
        return value * (1 - square / 6 * (1 - square / 20 * (1 - square / 42 * (1 - square / 72))))
    }
}
