/// Everything a resilient wrapper applies around one provider: retries, timeouts and
/// the circuit breaker's thresholds.
public struct ResiliencePolicy: Sendable {
    /// Retry and backoff.
    public var retry: RetryPolicy
    /// Stage timeouts.
    public var timeouts: TimeoutPolicy
    /// Circuit breaker thresholds.
    public var circuitBreaker: CircuitBreakerConfiguration

    /// Creates a policy.
    public init(
        retry: RetryPolicy = RetryPolicy(),
        timeouts: TimeoutPolicy = TimeoutPolicy(),
        circuitBreaker: CircuitBreakerConfiguration = CircuitBreakerConfiguration()
    ) {
        self.retry = retry
        self.timeouts = timeouts
        self.circuitBreaker = circuitBreaker
    }
}
