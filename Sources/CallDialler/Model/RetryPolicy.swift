/// How often and how late a lead is dialled again after busy, no-answer or failed.
public struct RetryPolicy: Sendable, Hashable {
    /// Most attempts per lead (including the first). At least 1.
    public var maxAttempts: Int
    /// Wait after the first failed attempt; doubles after each further one.
    public var baseDelay: Duration
    /// Longest wait between attempts.
    public var maxDelay: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 3, baseDelay: Duration = .seconds(60), maxDelay: Duration = .seconds(3600)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait after failed attempt number `attempt` (1-based): `base * 2^(attempt-1)`, capped.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let shift = min(max(attempt - 1, 0), 20)
        let delay = baseDelay * (1 << shift)
        return min(delay, maxDelay)
    }
}
