import CallAudio
import Logging

/// Wraps any ``TextToSpeech`` with a circuit breaker, stage timeouts, retries with backoff
/// and per-attempt metrics. Retries stop as soon as an audio chunk has been handed downstream.
public struct ResilientTextToSpeech: TextToSpeech, CircuitBreakerProviding {
    /// The wrapped provider.
    public let base: any TextToSpeech
    /// The breaker guarding `base`.
    public let circuitBreaker: CircuitBreaker
    /// The request sent by ``probe(context:)``.
    public var probeRequest: SpeechSynthesisRequest
    private let runner: ResilientRunner

    /// Wraps `base`.
    public init(
        _ base: any TextToSpeech,
        policy: ResiliencePolicy = ResiliencePolicy(),
        clock: any ResilienceClock = SystemResilienceClock(),
        logger: Logger = Logger(label: "speech-services.tts"),
        probeRequest: SpeechSynthesisRequest = SpeechSynthesisRequest(text: "OK.")
    ) {
        self.base = base
        let breaker = CircuitBreaker(descriptor: base.descriptor, configuration: policy.circuitBreaker, clock: clock, logger: logger)
        self.circuitBreaker = breaker
        self.probeRequest = probeRequest
        self.runner = ResilientRunner(
            descriptor: base.descriptor, operation: "tts", unit: "bytes", policy: policy, breaker: breaker, clock: clock,
            logLimiter: LogRateLimiter(clock: clock)
        )
    }

    /// The wrapped provider's descriptor.
    public var descriptor: ProviderDescriptor { base.descriptor }

    /// The wrapped provider's output format.
    public func outputFormat(for request: SpeechSynthesisRequest) -> AudioFormat { base.outputFormat(for: request) }

    /// The wrapped provider's voice resolution.
    public func resolvedVoice(for request: SpeechSynthesisRequest) -> String { base.resolvedVoice(for: request) }

    /// Synthesizes with all policies applied.
    public func synthesize(_ request: SpeechSynthesisRequest, context: ProviderCallContext) -> ProviderStream<AudioChunk> {
        let base = self.base
        return runner.run(
            context: context,
            isOutput: { !$0.bytes.isEmpty },
            units: { $0.bytes.count },
            makeAttempt: { base.synthesize(request, context: context) }
        )
    }

    /// Synthesizes ``probeRequest`` with the base provider and records the outcome.
    public func probe(context: ProviderCallContext) async -> Bool {
        do {
            _ = try await base.synthesize(probeRequest, context: context).collect()
            circuitBreaker.recordSuccess()
            return true
        } catch {
            circuitBreaker.recordFailure(error.kind)
            return false
        }
    }
}
