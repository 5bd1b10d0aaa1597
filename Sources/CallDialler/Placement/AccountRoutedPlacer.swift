/// Places each call with the placer of its campaign's account (``OutboundCallRequest/account``),
/// so one dialler serves campaigns of several Twilio accounts. A call for an account it has no
/// credentials for fails as ``CallPlacementError/authentication(message:)``: that campaign
/// pauses, the others go on (fails closed).
public struct AccountRoutedPlacer: OutboundCallPlacer {
    /// The placer of each account, by account SID.
    public let placers: [String: any OutboundCallPlacer]

    /// Creates a router.
    public init(placers: [String: any OutboundCallPlacer]) {
        self.placers = placers
    }

    public func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        guard let placer = placers[request.account] else {
            throw .authentication(message: "no Twilio credentials for account \(request.account.prefix(40)) in this dialler")
        }
        return try await placer.placeCall(request)
    }
}
