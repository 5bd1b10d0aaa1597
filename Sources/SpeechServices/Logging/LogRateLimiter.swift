import Logging
import NIOConcurrencyHelpers

/// A token bucket per key for log lines that can repeat at network speed: a provider that
/// answers `429` to every request of every call, or a stream of malformed responses.
///
/// Each key holds up to ``burst`` tokens and regains one every ``refillInterval``. A line
/// is written when its key has a token; otherwise it is counted, and the next line written
/// for that key carries the count as `log_suppressed` metadata, so nothing is lost silently.
/// Time comes from a ``ResilienceClock``, so tests drive it without sleeping.
public final class LogRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Duration
        var suppressed: Int
    }

    /// Tokens per key (lines that may be written back to back).
    public let burst: Int
    /// Time to regain one token.
    public let refillInterval: Duration
    /// Keys tracked at most; beyond that the table is cleared (keys are meant to be few).
    public let maximumKeys: Int
    private let clock: any ResilienceClock
    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    /// Creates a limiter (defaults: bursts of 5 lines, then one line per second per key).
    public init(
        burst: Int = 5, refillInterval: Duration = .seconds(1), maximumKeys: Int = 512,
        clock: any ResilienceClock = SystemResilienceClock()
    ) {
        self.burst = max(1, burst)
        self.refillInterval = refillInterval > .zero ? refillInterval : .milliseconds(1)
        self.maximumKeys = max(1, maximumKeys)
        self.clock = clock
    }

    /// Takes a token for `key`. Returns nil when the line must be dropped, otherwise the
    /// number of lines dropped for this key since the last one written.
    public func admit(_ key: String) -> Int? {
        let now = clock.now()
        let capacity = Double(burst)
        let interval = refillInterval.seconds
        return buckets.withLockedValue { buckets -> Int? in
            if buckets[key] == nil, buckets.count >= maximumKeys { buckets.removeAll(keepingCapacity: true) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedAt: now, suppressed: 0)
            let elapsed = max(0, (now - bucket.updatedAt).seconds)
            bucket.tokens = min(capacity, bucket.tokens + elapsed / interval)
            bucket.updatedAt = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                bucket.suppressed += 1
                return nil
            }
            bucket.tokens -= 1
            let suppressed = bucket.suppressed
            bucket.suppressed = 0
            return suppressed
        }
    }

    /// Logs `message` at `level` if `key` has a token (adding `log_suppressed` when lines were
    /// dropped before it). Returns whether the line was written.
    @discardableResult
    public func log(
        _ logger: Logger, level: Logger.Level, _ message: @autoclosure () -> Logger.Message,
        metadata: Logger.Metadata = [:], key: String
    ) -> Bool {
        guard logger.logLevel <= level else { return false }
        guard let suppressed = admit(key) else { return false }
        var metadata = metadata
        if suppressed > 0 { metadata["log_suppressed"] = "\(suppressed)" }
        logger.log(level: level, message(), metadata: metadata)
        return true
    }
}
