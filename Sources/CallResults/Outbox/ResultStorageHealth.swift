import NIOConcurrencyHelpers

/// Whether the result outbox can be written right now, for the worker's readiness check.
///
/// A failed write marks the storage unwritable with the error as the reason; the next
/// successful write (a result, a checkpoint or ``ResultOutbox/probe()``) clears it.
public final class ResultStorageHealth: Sendable {
    private let problem = NIOLockedValueBox<String?>(nil)

    /// Creates a healthy state.
    public init() {}

    /// Why results cannot be stored, or nil while the storage is writable.
    public var unwritableReason: String? { problem.withLockedValue { $0 } }

    func markUnwritable(_ reason: String) {
        problem.withLockedValue { $0 = reason }
    }

    func markWritable() {
        problem.withLockedValue { $0 = nil }
    }
}

/// A result sink backed by storage that can fail; the worker's readiness reports it.
public protocol ResultStorageHealthReporting: Sendable {
    /// The storage's state.
    var storageHealth: ResultStorageHealth { get }
}
