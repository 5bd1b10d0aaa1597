/// A provider wrapper that owns a circuit breaker and can probe its provider in the
/// background. Fallback groups use this to skip open providers and to recover them.
public protocol CircuitBreakerProviding: Sendable {
    /// The breaker guarding the provider.
    var circuitBreaker: CircuitBreaker { get }

    /// Sends one small request straight to the provider (bypassing breaker admission; the
    /// caller has already acquired the probe slot) and records the outcome on the breaker.
    /// Returns whether the probe succeeded.
    func probe(context: ProviderCallContext) async -> Bool
}
