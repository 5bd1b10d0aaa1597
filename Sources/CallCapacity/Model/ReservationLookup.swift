import Foundation

/// What the registry knows about one reservation (``CapacityRegistry/lookup(reservationID:)``):
/// a dialler uses it to tell a call that is live on a worker from one that never connected.
public struct ReservationLookup: Sendable, Hashable {
    /// Where the reservation stands.
    public enum State: String, Sendable, Hashable {
        /// Held, not confirmed yet, hold not lapsed.
        case held
        /// Confirmed (or claimed): a call is running on the worker.
        case active
        /// Held but never confirmed, and the hold lapsed: the slot is free for others.
        case lapsed
    }

    /// Where the reservation stands.
    public let state: State
    /// The worker holding it.
    public let workerID: String
    /// Whether that worker's lease is still valid (a dead worker's calls are gone).
    public let workerAlive: Bool

    /// Creates a lookup value.
    public init(state: State, workerID: String, workerAlive: Bool) {
        self.state = state
        self.workerID = workerID
        self.workerAlive = workerAlive
    }
}
