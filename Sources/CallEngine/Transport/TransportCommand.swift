import CallAudio

/// What the engine asks the transport to do, in order.
public enum TransportCommand: Sendable, Equatable {
    /// Queue agent audio (PCM16 mono at any rate) for paced playback; the transport encodes
    /// and resamples it for its carrier.
    case audio(PCMAudio)
    /// Queue a mark after the audio queued so far. The transport reports it exactly once:
    /// played, or flushed by a later ``clear``.
    case mark(PlaybackMark)
    /// Drop all queued agent audio now (barge-in). Pending marks are reported flushed.
    case clear
    /// End the call (close the stream so the carrier hangs up).
    case hangUp
    /// Transfer the call to `target` (a number or SIP URI); the transport decides how.
    case transfer(target: String)
}
