import Logging

/// Tries an ordered list of STT providers, like ``FallbackLanguageModel``.
public struct FallbackSpeechToText: SpeechToText {
    /// The providers, most preferred first.
    public let providers: [any SpeechToText]
    private let router: FallbackRouter

    /// Creates a fallback chain. `providers` must not be empty.
    public init(_ providers: [any SpeechToText], logger: Logger = Logger(label: "speech-services.fallback")) {
        self.providers = providers
        router = FallbackRouter(
            descriptors: providers.map(\.descriptor),
            breakers: providers.map { $0 as? any CircuitBreakerProviding },
            logger: logger
        )
    }

    /// The first provider's descriptor.
    public var descriptor: ProviderDescriptor {
        providers.first?.descriptor ?? ProviderDescriptor(name: "none", model: "none")
    }

    /// Transcribes with the first provider that works.
    public func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript {
        var lastError: ProviderError?
        for index in router.candidates(context: context) {
            do throws(ProviderError) {
                let transcript = try await providers[index].transcribe(request, context: context)
                router.reportServed(index: index, context: context, operation: "stt")
                return transcript
            } catch {
                lastError = error
                guard router.shouldFallBack(after: error, handedOutput: false) else { throw error }
                context.logger.warning("stt provider failed; trying next", metadata: ["provider": "\(providers[index].descriptor)", "error": "\(error)"])
            }
        }
        throw router.exhausted(lastError: lastError, operation: "stt")
    }

    /// Waits for background probes started so far (for tests and orderly shutdown).
    public func waitForProbes() async {
        await router.waitForProbes()
    }
}
