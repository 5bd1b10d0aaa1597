/// When each outbox entry may be tried next: a value type, rebuilt in memory at startup
/// (every entry is due at once after a restart).
///
/// Entries are independent: one that keeps failing backs off alone and never holds up another.
public struct RedeliverySchedule: Sendable {
    /// One entry's record.
    public struct Record: Sendable, Hashable {
        /// Consecutive failed attempts.
        public var failures: Int
        /// Earliest next attempt.
        public var nextAttempt: ContinuousClock.Instant
    }

    /// The backoff.
    public let policy: RedeliveryPolicy
    private var records: [String: Record] = [:]

    /// Creates an empty schedule.
    public init(policy: RedeliveryPolicy) {
        self.policy = policy
    }

    /// Whether `name` may be tried at `now` (an entry never tried is due).
    public func isDue(_ name: String, at now: ContinuousClock.Instant) -> Bool {
        guard let record = records[name] else { return true }
        return record.nextAttempt <= now
    }

    /// The record of `name`, if it failed before.
    public func record(for name: String) -> Record? { records[name] }

    /// Records a failed attempt at `now`.
    /// - Returns: the earliest next attempt.
    @discardableResult
    public mutating func recordFailure(
        _ name: String,
        at now: ContinuousClock.Instant,
        using generator: inout some RandomNumberGenerator
    ) -> ContinuousClock.Instant {
        let failures = (records[name]?.failures ?? 0) + 1
        let next = now + policy.delay(afterFailures: failures, using: &generator)
        records[name] = Record(failures: failures, nextAttempt: next)
        return next
    }

    /// Forgets an entry (delivered or dead-lettered).
    public mutating func forget(_ name: String) {
        records[name] = nil
    }

    /// Forgets every entry not in `names` (removed by someone else).
    public mutating func retain(only names: Set<String>) {
        records = records.filter { names.contains($0.key) }
    }

    /// Entries with a failure on record.
    public var backingOffCount: Int { records.count }

    /// Names of the entries with a failure on record.
    public var backingOffNames: Set<String> { Set(records.keys) }
}
