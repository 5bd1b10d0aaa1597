/// A speech-to-text provider for whole utterances.
///
/// Streaming recognisers can later be added as a separate protocol without changing this one;
/// the resilience wrappers work on any conforming type.
public protocol SpeechToText: Sendable {
    /// Who serves the requests, for metrics, logs and fallback reports.
    var descriptor: ProviderDescriptor { get }

    /// Transcribes one utterance.
    func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript
}
