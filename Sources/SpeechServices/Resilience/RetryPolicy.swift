/// When and how long to wait before retrying a failed provider request.
///
/// Exponential backoff with jitter: attempt n (1-based) waits
/// `min(baseDelay × multiplier^(n-1), maxDelay) × (1 − jitter × random)`.
/// A provider's `retry-after` / `retry-after-ms` replaces the computed delay when it is
/// positive and at most ``maxRetryAfter``; a longer demand means "give up" (the fallback
/// chain then moves on), as OpenAI's own SDK does.
public struct RetryPolicy: Sendable {
    /// Total attempts including the first (1 disables retries).
    public var maxAttempts: Int
    /// Delay before the first retry.
    public var baseDelay: Duration
    /// Growth factor per attempt.
    public var multiplier: Double
    /// Upper bound of the computed delay.
    public var maxDelay: Duration
    /// Fraction of the delay that is randomised away (0 = none, 0.25 = up to 25 % shorter).
    public var jitter: Double
    /// The longest provider-requested wait that is honoured; longer ones stop retrying.
    public var maxRetryAfter: Duration
    /// Source of randomness in 0..<1 (injectable for deterministic tests).
    public var random: @Sendable () -> Double

    /// Creates a policy. The defaults follow OpenAI's SDK (0.5 s doubling up to 8 s, 25 % jitter)
    /// with a shorter cap on provider-requested waits, which suits live calls.
    public init(
        maxAttempts: Int = 3,
        baseDelay: Duration = .milliseconds(500),
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(8),
        jitter: Double = 0.25,
        maxRetryAfter: Duration = .seconds(20),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.jitter = min(max(jitter, 0), 1)
        self.maxRetryAfter = maxRetryAfter
        self.random = random
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The delay before the retry that follows failed attempt `attempt` (1-based), or nil
    /// when no retry should happen (not retryable, attempts used up, or a too-long retry-after).
    public func delay(afterAttempt attempt: Int, error: ProviderError) -> Duration? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        if let retryAfter = error.retryAfter, retryAfter > .zero {
            return retryAfter <= maxRetryAfter ? retryAfter : nil
        }
        let exponent = Double(max(0, attempt - 1))
        var seconds = baseDelay.seconds * pow2(multiplier, exponent)
        seconds = min(seconds, maxDelay.seconds)
        seconds *= 1 - jitter * min(max(random(), 0), 1)
        return .nanoseconds(NetworkNumber.saturatingInt64(seconds * 1e9))
    }

    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        while remaining > 0 {
            result *= base
            remaining -= 1
        }
        return result
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
