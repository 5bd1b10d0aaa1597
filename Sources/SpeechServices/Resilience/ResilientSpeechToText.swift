import Logging

/// Wraps any ``SpeechToText`` with a circuit breaker, timeouts, retries with backoff and
/// per-attempt metrics. For a whole-utterance provider the first-byte timeout bounds the
/// wait for the transcript.
public struct ResilientSpeechToText: SpeechToText, CircuitBreakerProviding {
    /// The wrapped provider.
    public let base: any SpeechToText
    /// The breaker guarding `base`.
    public let circuitBreaker: CircuitBreaker
    /// The request sent by ``probe(context:)`` (100 ms of silence at 16 kHz by default).
    public var probeRequest: TranscriptionRequest
    private let runner: ResilientRunner

    /// Wraps `base`.
    public init(
        _ base: any SpeechToText,
        policy: ResiliencePolicy = ResiliencePolicy(),
        clock: any ResilienceClock = SystemResilienceClock(),
        logger: Logger = Logger(label: "speech-services.stt"),
        probeRequest: TranscriptionRequest = TranscriptionRequest(samples: [Int16](repeating: 0, count: 1600), sampleRate: 16_000)
    ) {
        self.base = base
        let breaker = CircuitBreaker(descriptor: base.descriptor, configuration: policy.circuitBreaker, clock: clock, logger: logger)
        self.circuitBreaker = breaker
        self.probeRequest = probeRequest
        self.runner = ResilientRunner(
            descriptor: base.descriptor, operation: "stt", unit: "audio_ms", policy: policy, breaker: breaker, clock: clock,
            logLimiter: LogRateLimiter(clock: clock)
        )
    }

    /// The wrapped provider's descriptor.
    public var descriptor: ProviderDescriptor { base.descriptor }

    /// Transcribes with all policies applied.
    public func transcribe(_ request: TranscriptionRequest, context: ProviderCallContext) async throws(ProviderError) -> Transcript {
        let base = self.base
        let audioMilliseconds = NetworkNumber.saturatingInt(request.duration * 1000)
        let stream = runner.run(
            context: context,
            isOutput: { _ in true },
            units: { _ in audioMilliseconds },
            makeAttempt: {
                ProviderStream<Transcript>(provider: base.descriptor.name) { continuation throws(ProviderError) in
                    continuation.yield(try await base.transcribe(request, context: context))
                }
            }
        )
        guard let transcript = try await stream.collect().first else {
            throw ProviderError(.malformedResponse, provider: base.descriptor.name, message: "no transcript")
        }
        return transcript
    }

    /// Transcribes ``probeRequest`` with the base provider and records the outcome.
    public func probe(context: ProviderCallContext) async -> Bool {
        do {
            _ = try await base.transcribe(probeRequest, context: context)
            circuitBreaker.recordSuccess()
            return true
        } catch {
            circuitBreaker.recordFailure(error.kind)
            return false
        }
    }
}
