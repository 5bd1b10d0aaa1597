import Foundation

/// Errors of the capacity registry. "No capacity" is not an error (see ``ReservationOutcome``).
public enum CapacityError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A request field was invalid (empty id, non-positive TTL or hold, negative slots or quota).
    case invalidArgument(String)
    /// No worker with this id is registered.
    case workerNotFound(workerID: String)
    /// No live or expired reservation with this id exists (never made, released, or its slot was reused).
    case reservationNotFound(id: UUID)
    /// The reservation's hold lapsed before it was confirmed; its slot is free again.
    case reservationExpired(id: UUID)
    /// The database URL could not be understood.
    case invalidDatabaseURL(String)
    /// The database schema is newer than this library knows.
    case schemaTooNew(found: Int, supported: Int)
    /// A schema migration failed.
    case migrationFailed(version: Int, message: String)
    /// The database reported an error or could not be reached.
    case database(message: String)
    /// The operation was cancelled.
    case cancelled

    /// Human-readable description.
    public var description: String {
        switch self {
        case .invalidArgument(let message): "invalid argument: \(message)"
        case .workerNotFound(let id): "worker not found: \(id)"
        case .reservationNotFound(let id): "reservation not found: \(id)"
        case .reservationExpired(let id): "reservation expired: \(id)"
        case .invalidDatabaseURL(let message): "invalid database URL: \(message)"
        case .schemaTooNew(let found, let supported):
            "database schema version \(found) is newer than supported version \(supported)"
        case .migrationFailed(let version, let message): "migration \(version) failed: \(message)"
        case .database(let message): "database error: \(message)"
        case .cancelled: "cancelled"
        }
    }
}
