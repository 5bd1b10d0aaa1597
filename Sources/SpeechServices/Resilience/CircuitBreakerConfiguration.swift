/// Thresholds of a ``CircuitBreaker``.
public struct CircuitBreakerConfiguration: Sendable, Equatable {
    /// Consecutive provider-side failures that open the circuit (default 5).
    public var failureThreshold: Int
    /// How long the circuit stays open before a single probe is allowed (default 60 s).
    public var openDuration: Duration

    /// Creates a configuration.
    public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(60)) {
        self.failureThreshold = max(1, failureThreshold)
        self.openDuration = openDuration
    }
}
