import NIOConcurrencyHelpers

/// The stream tokens already used on this worker, each kept until it expires, so a captured
/// `start` replayed within the token's lifetime is refused too (``StreamTokenError/replayed``).
///
/// Bounded: entries past their expiry are dropped as new ones arrive, and at most
/// ``capacity`` live entries are kept (a token beyond that is refused, never silently
/// admitted). Thread-safe.
public final class StreamTokenReplayCache: Sendable {
    /// Most unexpired tokens remembered.
    public let capacity: Int
    private let used = NIOLockedValueBox<[String: Int64]>([:])

    /// Creates an empty cache.
    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Records `token` as used; false when it was used before (or the cache is full).
    /// - Parameters:
    ///   - expiresAt: Unix seconds after which the token is refused anyway.
    ///   - now: Unix seconds.
    public func markUsed(_ token: String, expiresAt: Int64, now: Int64) -> Bool {
        used.withLockedValue { used in
            if let expiry = used[token], expiry > now { return false }
            if used.count >= capacity { used = used.filter { $0.value > now } }
            guard used.count < capacity else { return false }
            used[token] = expiresAt
            return true
        }
    }

    /// Tokens remembered (for tests and diagnostics).
    public var count: Int { used.withLockedValue { $0.count } }
}
