import Logging

/// Tries an ordered list of language models: the first whose circuit is closed serves;
/// on a provider-side failure before any output it moves on to the next. Open providers
/// are probed in the background and used again once a probe succeeds. The serving
/// provider is reported through ``ProviderCallContext/onServed``.
///
/// Wrap each provider in ``ResilientLanguageModel`` so it has a breaker to consult.
public struct FallbackLanguageModel: LanguageModel {
    /// The providers, most preferred first.
    public let providers: [any LanguageModel]
    private let router: FallbackRouter

    /// Creates a fallback chain. `providers` must not be empty.
    public init(_ providers: [any LanguageModel], logger: Logger = Logger(label: "speech-services.fallback")) {
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

    /// Streams from the first provider that works.
    public func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent> {
        let providers = self.providers
        let router = self.router
        return ProviderStream(provider: descriptor.name) { continuation throws(ProviderError) in
            var lastError: ProviderError?
            for index in router.candidates(context: context) {
                var handedOutput = false
                var reported = false
                do throws(ProviderError) {
                    for try await event in providers[index].stream(request, context: context) {
                        if !reported {
                            reported = true
                            router.reportServed(index: index, context: context, operation: "llm")
                        }
                        if event.isOutput { handedOutput = true }
                        continuation.yield(event)
                    }
                    return
                } catch {
                    lastError = error
                    guard router.shouldFallBack(after: error, handedOutput: handedOutput) else { throw error }
                    context.logger.warning("llm provider failed; trying next", metadata: ["provider": "\(providers[index].descriptor)", "error": "\(error)"])
                }
            }
            throw router.exhausted(lastError: lastError, operation: "llm")
        }
    }

    /// Waits for background probes started so far (for tests and orderly shutdown).
    public func waitForProbes() async {
        await router.waitForProbes()
    }
}
