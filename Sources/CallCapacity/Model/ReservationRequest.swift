/// What a dialler asks for before it places a call.
public struct ReservationRequest: Sendable, Hashable {
    /// The client (tenant) the call is for; counted against the client's quota. Must not be empty.
    public var clientID: String
    /// The campaign the call belongs to, if any; counted against the campaign's quota.
    public var campaignID: String?
    /// Labels the chosen worker must carry (every key with the same value), e.g. `["region": "eu"]`.
    public var requiredLabels: [String: String]
    /// How long the slot is held unconfirmed. If the worker does not confirm before then,
    /// the slot frees itself. Must be positive.
    public var hold: Duration
    /// The carrier's call id when already known; carried into logs and the reservation.
    public var callSID: String?

    /// Creates a request.
    /// - Parameters:
    ///   - clientID: Client (tenant) id.
    ///   - campaignID: Optional campaign id.
    ///   - requiredLabels: Labels the worker must have.
    ///   - hold: How long the reservation waits for confirmation.
    ///   - callSID: Optional carrier call id.
    public init(
        clientID: String,
        campaignID: String? = nil,
        requiredLabels: [String: String] = [:],
        hold: Duration = .seconds(30),
        callSID: String? = nil
    ) {
        self.clientID = clientID
        self.campaignID = campaignID
        self.requiredLabels = requiredLabels
        self.hold = hold
        self.callSID = callSID
    }

    /// Checks the fields and throws ``CapacityError/invalidArgument(_:)`` for a bad one.
    public func validate() throws(CapacityError) {
        if clientID.isEmpty { throw .invalidArgument("clientID must not be empty") }
        if let campaignID, campaignID.isEmpty { throw .invalidArgument("campaignID must not be empty when given") }
        if hold <= .zero { throw .invalidArgument("hold must be positive, got \(hold)") }
    }
}
