/// The `event` discriminator of a Twilio Media Streams WebSocket message.
public enum TwilioEventKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Twilio: the WebSocket is connected (first message, no `sequenceNumber`).
    case connected
    /// Twilio: stream metadata (call, stream, tracks, format, custom parameters).
    case start
    /// Twilio or server: base64 mu-law audio.
    case media
    /// Twilio or server: a named mark (server sends it, Twilio echoes it).
    case mark
    /// Twilio: the caller pressed a key.
    case dtmf
    /// Twilio: the stream stopped or the call ended.
    case stop
    /// Server: flush Twilio's buffered outbound audio.
    case clear
}
