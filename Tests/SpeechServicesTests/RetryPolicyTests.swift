import SpeechServices
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    func error(_ kind: ProviderError.Kind, retryAfter: Duration? = nil, override: Bool? = nil) -> ProviderError {
        ProviderError(kind, provider: "p", message: "", retryAfter: retryAfter, shouldRetryOverride: override)
    }

    @Test("exponential backoff with jitter, capped")
    func exponentialBackoff() {
        let noJitter = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(500), maxDelay: .seconds(8), jitter: 0.25, random: { 0 })
        #expect(noJitter.delay(afterAttempt: 1, error: error(.server)) == .milliseconds(500))
        #expect(noJitter.delay(afterAttempt: 2, error: error(.server)) == .seconds(1))
        #expect(noJitter.delay(afterAttempt: 3, error: error(.server)) == .seconds(2))
        #expect(noJitter.delay(afterAttempt: 8, error: error(.server)) == .seconds(8))
        let fullJitter = RetryPolicy(maxAttempts: 10, jitter: 0.25, random: { 1 })
        #expect(fullJitter.delay(afterAttempt: 2, error: error(.connection)) == .milliseconds(750))
    }

    @Test("honours retry-after up to the cap and gives up beyond it")
    func retryAfter() {
        let policy = RetryPolicy(maxAttempts: 3, maxRetryAfter: .seconds(20), random: { 0.5 })
        #expect(policy.delay(afterAttempt: 1, error: error(.rateLimited, retryAfter: .milliseconds(1500))) == .milliseconds(1500))
        #expect(policy.delay(afterAttempt: 1, error: error(.rateLimited, retryAfter: .seconds(21))) == nil)
    }

    @Test("only retryable errors, within the attempt budget")
    func retryableOnly() {
        let policy = RetryPolicy(maxAttempts: 2)
        for kind: ProviderError.Kind in [.authentication, .permissionDenied, .quotaExhausted, .invalidRequest, .inputTooLarge, .cancelled, .malformedResponse, .circuitOpen, .timeout(.total)] {
            #expect(policy.delay(afterAttempt: 1, error: error(kind)) == nil, "\(kind.label) must not be retried")
        }
        for kind: ProviderError.Kind in [.rateLimited, .server, .connection, .timeout(.firstByte), .timeout(.stall)] {
            #expect(policy.delay(afterAttempt: 1, error: error(kind)) != nil, "\(kind.label) must be retried")
            #expect(policy.delay(afterAttempt: 2, error: error(kind)) == nil, "attempt budget exhausted")
        }
    }

    @Test("x-should-retry overrides the kind except for quota, cancellation and open circuits")
    func override() {
        let policy = RetryPolicy(maxAttempts: 3)
        #expect(policy.delay(afterAttempt: 1, error: error(.server, override: false)) == nil)
        #expect(policy.delay(afterAttempt: 1, error: error(.invalidRequest, override: true)) != nil)
        #expect(policy.delay(afterAttempt: 1, error: error(.quotaExhausted, override: true)) == nil)
    }
}
