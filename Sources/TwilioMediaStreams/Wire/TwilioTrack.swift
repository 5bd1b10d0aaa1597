/// The audio track of a `media` message.
public enum TwilioTrack: String, Sendable, Hashable, Codable {
    /// The caller's audio (the only track on a bidirectional stream).
    case inbound
    /// Audio played to the caller.
    case outbound
}
