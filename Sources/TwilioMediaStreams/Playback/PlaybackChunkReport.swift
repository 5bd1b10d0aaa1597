/// How much of one agent audio chunk reached the caller.
public struct PlaybackChunkReport: Sendable, Hashable {
    /// Where a chunk is in its life.
    public enum State: Sendable, Hashable {
        /// Frames are being sent; the chunk's mark is not sent yet.
        case sending
        /// The mark was sent; Twilio has not echoed it yet.
        case awaitingEcho
        /// Twilio echoed the mark (or a later one) before any `clear`: all of it was played.
        case played
        /// A `clear` dropped it before its mark echoed: only ``playedByteCount`` was heard.
        case flushed
    }

    /// The chunk.
    public var id: PlaybackChunkID
    /// Its state.
    public var state: State
    /// Mu-law bytes sent to Twilio for this chunk (8 bytes = 1 ms).
    public var sentByteCount: Int
    /// Bytes the caller heard: all of them once played; otherwise estimated from the inbound
    /// media clock (latest `media.timestamp` minus the chunk's start), frozen at `clear`.
    public var playedByteCount: Int

    /// Creates a report.
    public init(id: PlaybackChunkID, state: State, sentByteCount: Int, playedByteCount: Int) {
        self.id = id
        self.state = state
        self.sentByteCount = sentByteCount
        self.playedByteCount = playedByteCount
    }

    /// Audio sent, at 8 kHz.
    public var sentDuration: Duration { .microseconds(sentByteCount * 125) }
    /// Audio heard, at 8 kHz.
    public var playedDuration: Duration { .microseconds(playedByteCount * 125) }
    /// Heard / sent, from 0 to 1 (1 for an empty chunk that was played).
    public var playedFraction: Double {
        guard sentByteCount > 0 else { return state == .played ? 1 : 0 }
        return Double(playedByteCount) / Double(sentByteCount)
    }
    /// Whether the chunk is finished (played or flushed): its report will not change.
    public var isFinal: Bool { state == .played || state == .flushed }
}
