import Foundation

/// A confirmed reservation: the call's stream has started on the worker.
public struct ActiveCall: Sendable, Hashable {
    /// The reservation id the call was confirmed with.
    public let reservationID: UUID
    /// The worker running the call.
    public let workerID: String
    /// The slot the call occupies.
    public let slot: Int
    /// The client the call counts against.
    public let clientID: String
    /// The campaign the call counts against, if any.
    public let campaignID: String?
    /// The carrier's call id, if known.
    public let callSID: String?

    /// Creates an active-call value.
    public init(reservationID: UUID, workerID: String, slot: Int, clientID: String, campaignID: String?, callSID: String?) {
        self.reservationID = reservationID
        self.workerID = workerID
        self.slot = slot
        self.clientID = clientID
        self.campaignID = campaignID
        self.callSID = callSID
    }
}
