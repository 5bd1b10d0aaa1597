/// What the call does about one bad inbound message.
public enum TwilioErrorOutcome: String, Sendable, Hashable, Codable {
    /// Drop this message and carry on with the call.
    case skipFrame = "skip_frame"
    /// End this call cleanly (close the WebSocket, deliver the result); other calls are unaffected.
    case endCall = "end_call"
}
