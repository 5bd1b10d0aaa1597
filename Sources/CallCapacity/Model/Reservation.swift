import Foundation

/// A slot held for one call that has not started yet.
public struct Reservation: Sendable, Hashable {
    /// Unique id; the worker confirms and releases with it.
    public let id: UUID
    /// The worker that holds the slot.
    public let workerID: String
    /// Where to send the call's media stream (the worker's registered URL).
    public let streamURL: String
    /// Index of the held slot on the worker (0 ..< slots).
    public let slot: Int
    /// The client the reservation counts against.
    public let clientID: String
    /// The campaign the reservation counts against, if any.
    public let campaignID: String?
    /// When the hold lapses if not confirmed, in the registry's clock (the database's clock
    /// for the PostgreSQL backend).
    public let expiresAt: Date

    /// Creates a reservation value (backends create these; tests may too).
    public init(
        id: UUID, workerID: String, streamURL: String, slot: Int,
        clientID: String, campaignID: String?, expiresAt: Date
    ) {
        self.id = id
        self.workerID = workerID
        self.streamURL = streamURL
        self.slot = slot
        self.clientID = clientID
        self.campaignID = campaignID
        self.expiresAt = expiresAt
    }
}
