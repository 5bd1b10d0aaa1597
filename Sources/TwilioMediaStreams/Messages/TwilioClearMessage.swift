/// `clear`: the server asks Twilio to drop all buffered outbound audio. Twilio then echoes
/// every pending `mark` at once.
public struct TwilioClearMessage: Codable, Sendable, Hashable {
    /// The stream id (`MZ…`).
    public var streamSid: String

    /// Creates a `clear` message.
    public init(streamSid: String) {
        self.streamSid = streamSid
    }
}
