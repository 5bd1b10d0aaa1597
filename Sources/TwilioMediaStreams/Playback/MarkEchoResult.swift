/// What an echoed `mark` meant, as decided by ``PlaybackTracker/markEchoed(name:)``.
public enum MarkEchoResult: Sendable, Hashable {
    /// The chunk's audio was played to the end (and so was every earlier chunk).
    case played(PlaybackChunkID)
    /// The chunk had been dropped by a `clear`; this echo is Twilio flushing its marks.
    case flushed(PlaybackChunkID)
    /// A mark this tracker never sent, or one already echoed; ignored.
    case unknown(name: String)
}
