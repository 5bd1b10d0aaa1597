/// A calls-per-second budget: `rate` tokens per second, at most `burst` saved up. A value type;
/// ``AccountPacer`` holds one per carrier account and does the waiting.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second.
    public var rate: Double
    /// Most tokens held.
    public var burst: Double
    private(set) var tokens: Double
    private(set) var updatedAt: ContinuousClock.Instant
    /// No token is handed out before this instant (set by ``pause(until:)`` after a 429).
    private(set) var blockedUntil: ContinuousClock.Instant?

    /// Creates a full bucket.
    public init(rate: Double, burst: Double = 1, now: ContinuousClock.Instant) {
        self.rate = max(rate, 0.001)
        self.burst = max(burst, 1)
        self.tokens = max(burst, 1)
        self.updatedAt = now
    }

    /// Takes one token if there is one; otherwise returns how long until there is.
    public mutating func take(now: ContinuousClock.Instant) -> Duration? {
        if let blockedUntil, now < blockedUntil { return blockedUntil - now }
        blockedUntil = nil
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return .seconds((1 - tokens) / rate)
    }

    /// Hands no token out before `until` and empties the bucket (the carrier said "too many").
    public mutating func pause(until: ContinuousClock.Instant) {
        blockedUntil = max(blockedUntil ?? until, until)
        tokens = 0
        updatedAt = until
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        guard now > updatedAt else { return }
        let elapsed = (now - updatedAt) / .seconds(1)
        tokens = min(burst, tokens + elapsed * rate)
        updatedAt = now
    }
}
