/// The engine's view of a carrier connection: an ordered, non-blocking command queue plus
/// backpressure for agent audio.
///
/// `send` must not suspend, so the engine can order commands exactly (a `clear` is never
/// overtaken by audio queued before it). Pacing audio in real time, codecs and resampling
/// are the transport's job: the engine speaks PCM16 only.
///
/// Each ``TransportCommand/mark(_:)`` is reported back at most once, as
/// ``TransportEvent/markPlayed(_:)`` or ``TransportEvent/markFlushed(_:)``; a mark a clear
/// dropped before it reached the carrier may go unreported (the engine does not wait for it).
public protocol CallTransport: Sendable {
    /// Queues a command. Never blocks; keeps order.
    func send(_ command: TransportCommand)
    /// Suspends until less than `duration` of agent audio is queued but not yet played, so
    /// a fast TTS does not run far ahead of playback. Returns at once when the transport is
    /// closed. Throws `CancellationError` when the calling task is cancelled.
    func waitForPlaybackBacklog(below duration: Duration) async throws
}
