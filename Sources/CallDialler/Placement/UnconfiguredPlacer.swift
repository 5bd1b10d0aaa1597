/// The placer of a build without a carrier REST client: every call is refused as an
/// authentication failure, so campaigns pause instead of burning attempts (fails closed).
public struct UnconfiguredPlacer: OutboundCallPlacer {
    /// Creates the placer.
    public init() {}

    /// Always throws ``CallPlacementError/authentication(message:)``.
    public func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        throw .authentication(message: "no carrier REST client is configured in this build")
    }
}
