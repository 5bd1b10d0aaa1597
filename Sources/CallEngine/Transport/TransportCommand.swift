/// What the engine asks the transport to do, in order.
public enum TransportCommand: Sendable, Equatable {
    /// Queue agent audio: whole 160-byte G.711 frames at 8 kHz, for paced playback.
    case audio([UInt8])
    /// Queue a mark after the audio queued so far; the transport acknowledges it when that
    /// audio has been played (or flushed by a clear).
    case mark(name: String)
    /// Drop all queued agent audio now (barge-in). Pending marks will be acknowledged.
    case clear
    /// End the call (close the stream so the carrier hangs up).
    case hangUp
    /// Transfer the call to `target` (a number or SIP URI); the transport decides how.
    case transfer(target: String)
}
