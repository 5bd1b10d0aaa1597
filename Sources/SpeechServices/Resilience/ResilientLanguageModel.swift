import Logging

/// Wraps any ``LanguageModel`` with a circuit breaker, stage timeouts, retries with
/// backoff and per-attempt metrics. Retries stop as soon as text or a tool call has been
/// handed downstream.
public struct ResilientLanguageModel: LanguageModel, CircuitBreakerProviding {
    /// The wrapped provider.
    public let base: any LanguageModel
    /// The breaker guarding `base`.
    public let circuitBreaker: CircuitBreaker
    /// The request sent by ``probe(context:)``.
    public var probeRequest: ChatRequest
    private let runner: ResilientRunner

    /// Wraps `base`.
    public init(
        _ base: any LanguageModel,
        policy: ResiliencePolicy = ResiliencePolicy(),
        clock: any ResilienceClock = SystemResilienceClock(),
        logger: Logger = Logger(label: "speech-services.llm"),
        probeRequest: ChatRequest = ChatRequest(messages: [.user("Reply with OK.")], maxTokens: 1)
    ) {
        self.base = base
        let breaker = CircuitBreaker(descriptor: base.descriptor, configuration: policy.circuitBreaker, clock: clock, logger: logger)
        self.circuitBreaker = breaker
        self.probeRequest = probeRequest
        self.runner = ResilientRunner(
            descriptor: base.descriptor, operation: "llm", unit: "tokens", policy: policy, breaker: breaker, clock: clock,
            logLimiter: LogRateLimiter(clock: clock)
        )
    }

    /// The wrapped provider's descriptor.
    public var descriptor: ProviderDescriptor { base.descriptor }

    /// Streams with all policies applied.
    public func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent> {
        let base = self.base
        return runner.run(
            context: context,
            isOutput: { $0.isOutput },
            units: { event in
                if case .usage(let usage) = event { return usage.completionTokens }
                return 0
            },
            makeAttempt: { base.stream(request, context: context) }
        )
    }

    /// Streams ``probeRequest`` to the base provider and records the outcome.
    public func probe(context: ProviderCallContext) async -> Bool {
        do {
            _ = try await base.stream(probeRequest, context: context).collect()
            circuitBreaker.recordSuccess()
            return true
        } catch {
            circuitBreaker.recordFailure(error.kind)
            return false
        }
    }
}
