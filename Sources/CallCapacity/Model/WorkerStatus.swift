import Foundation

/// A worker as seen by ``CapacityRegistry/workers()``.
public struct WorkerStatus: Sendable, Hashable {
    /// The worker's id.
    public let workerID: String
    /// The worker's media-stream URL.
    public let streamURL: String
    /// The worker's labels.
    public let labels: [String: String]
    /// Registered slot count.
    public let slots: Int
    /// Live reservations that are not confirmed yet.
    public let reserved: Int
    /// Confirmed calls.
    public let active: Int
    /// Drain flag, lease and liveness folded into one state.
    public let state: WorkerState
    /// When the lease lapses without another heartbeat.
    public let leaseExpiresAt: Date

    /// Slots in use (reservations + calls).
    public var used: Int { reserved + active }
    /// Slots not in use (never negative, even after the slot count was lowered).
    public var free: Int { max(0, slots - used) }

    /// Creates a status value.
    public init(
        workerID: String, streamURL: String, labels: [String: String], slots: Int,
        reserved: Int, active: Int, state: WorkerState, leaseExpiresAt: Date
    ) {
        self.workerID = workerID
        self.streamURL = streamURL
        self.labels = labels
        self.slots = slots
        self.reserved = reserved
        self.active = active
        self.state = state
        self.leaseExpiresAt = leaseExpiresAt
    }
}
