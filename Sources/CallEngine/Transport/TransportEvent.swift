/// What a carrier transport tells the engine. Transport-agnostic: the Twilio adapter maps
/// its WebSocket messages to these; another carrier maps its own.
public enum TransportEvent: Sendable {
    /// 20 ms of caller audio (G.711, 8 kHz).
    case audio(AudioFrame)
    /// The transport confirmed that the audio before mark `name` is no longer queued:
    /// played, or flushed by a clear (the engine knows which, because it sent the clear).
    case markAcknowledged(name: String)
    /// The caller pressed a key.
    case dtmf(digit: String)
    /// The caller hung up or the carrier stopped the stream.
    case hangUp
}
