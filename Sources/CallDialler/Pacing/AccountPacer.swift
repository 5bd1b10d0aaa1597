import Logging

/// The calls-per-second pace of every carrier account (Twilio's CPS is per account): one
/// ``TokenBucket`` each; ``acquire(account:)`` waits for a token.
public actor AccountPacer {
    private var buckets: [String: TokenBucket] = [:]
    private let rates: [String: Double]
    private let defaultRate: Double
    private let burst: Double
    private let logger: Logger

    /// Creates a pacer.
    /// - Parameters:
    ///   - defaultRate: Calls per second of an account not in `rates` (Twilio's default is 1).
    ///   - rates: Calls per second per account.
    ///   - burst: Calls an idle account may place at once.
    public init(defaultRate: Double, rates: [String: Double] = [:], burst: Double = 1, logger: Logger) {
        self.defaultRate = defaultRate
        self.rates = rates
        self.burst = burst
        self.logger = logger
    }

    /// Waits until the account may place one more call.
    /// - Throws: `CancellationError` when the waiting task is cancelled.
    public func acquire(account: String) async throws {
        while true {
            let now = ContinuousClock.now
            var bucket = buckets[account] ?? TokenBucket(rate: rates[account] ?? defaultRate, burst: burst, now: now)
            let wait = bucket.take(now: now)
            buckets[account] = bucket
            guard let wait else { return }
            try await Task.sleep(for: wait)
        }
    }

    /// The carrier refused a call for rate (429): no call of this account before `retryAfter`.
    public func slowDown(account: String, retryAfter: Duration) {
        let now = ContinuousClock.now
        var bucket = buckets[account] ?? TokenBucket(rate: rates[account] ?? defaultRate, burst: burst, now: now)
        bucket.pause(until: now + retryAfter)
        buckets[account] = bucket
        logger.warning("carrier rate limit: slowing down", metadata: ["account": "\(account)", "retry_after": "\(retryAfter)"])
    }
}
