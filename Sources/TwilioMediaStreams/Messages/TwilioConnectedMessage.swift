/// `connected`: the first message Twilio sends on a Media Streams WebSocket.
///
/// It carries no `sequenceNumber`. Example:
/// `{"event":"connected","protocol":"Call","version":"1.0.0"}`.
public struct TwilioConnectedMessage: Codable, Sendable, Hashable {
    /// The protocol name (`"Call"`).
    public var protocolName: String
    /// The protocol version (`"1.0.0"`).
    public var version: String

    /// Creates a `connected` message.
    public init(protocolName: String = "Call", version: String = "1.0.0") {
        self.protocolName = protocolName
        self.version = version
    }

    private enum CodingKeys: String, CodingKey {
        case protocolName = "protocol"
        case version
    }
}
