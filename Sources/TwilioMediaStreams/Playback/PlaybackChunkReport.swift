/// What became of one agent audio chunk.
public struct PlaybackChunkReport: Sendable, Hashable {
    /// Where a chunk is in its life.
    public enum State: Sendable, Hashable {
        /// Frames are being sent; the chunk's mark is not sent yet.
        case sending
        /// The mark was sent; Twilio has not echoed it yet.
        case awaitingEcho
        /// Twilio echoed the mark (or a later one) before any `clear`: all of it was played.
        case played
        /// A `clear` dropped it before its mark echoed.
        case flushed
    }

    /// The chunk.
    public var id: PlaybackChunkID
    /// Its state.
    public var state: State
    /// Mu-law bytes sent to Twilio for this chunk (8 bytes = 1 ms).
    public var sentByteCount: Int

    /// Creates a report.
    public init(id: PlaybackChunkID, state: State, sentByteCount: Int) {
        self.id = id
        self.state = state
        self.sentByteCount = sentByteCount
    }

    /// Audio sent, at 8 kHz.
    public var sentDuration: Duration { .microseconds(sentByteCount * 125) }
    /// Whether the chunk is finished (played or flushed): its report will not change.
    public var isFinal: Bool { state == .played || state == .flushed }
}
