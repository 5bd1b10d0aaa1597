/// The lifecycle of one Twilio media stream as ``TwilioStreamSession`` sees it.
public enum TwilioStreamState: Sendable, Hashable {
    /// The WebSocket is open; nothing received yet.
    case awaitingConnected
    /// `connected` received; waiting for `start`.
    case connected
    /// `start` received: media, marks and DTMF flow.
    case started(callSid: String, streamSid: String)
    /// `stop` received: the stream is over.
    case stopped
    /// An error ended the call; every later message is rejected.
    case failed
}
