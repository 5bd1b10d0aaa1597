import CallAudio

/// A text-to-speech provider that streams audio.
public protocol TextToSpeech: Sendable {
    /// Who serves the requests, for metrics, logs and fallback reports.
    var descriptor: ProviderDescriptor { get }

    /// The format every chunk for `request` will have (known before the request is sent).
    func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat

    /// The voice that will be used for `request` (resolves a nil voice to the default).
    func resolvedVoice(for request: SpeechSynthesisRequest) -> String

    /// Streams audio for `request`, first chunk as early as the provider allows.
    /// Every chunk has ``outputFormat(for:)`` and holds whole sample frames.
    func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk>
}
