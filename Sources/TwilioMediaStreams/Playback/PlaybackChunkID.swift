/// Identifies one chunk of agent audio (for example one synthesized sentence) within a turn.
///
/// Its ``markName`` is the name of the `mark` sent after the chunk's audio, so an echoed mark
/// maps back to the chunk and turn: `turn-3.chunk-1`.
public struct PlaybackChunkID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The agent turn (reply) number.
    public var turn: Int
    /// The chunk's position within the turn.
    public var chunk: Int

    /// Creates an id.
    public init(turn: Int, chunk: Int) {
        self.turn = turn
        self.chunk = chunk
    }

    /// Parses a mark name made by ``markName``; nil for any other name.
    public init?(markName: String) {
        let parts = markName.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("turn-"), parts[1].hasPrefix("chunk-"),
              let turn = Int(parts[0].dropFirst(5)), let chunk = Int(parts[1].dropFirst(6)),
              turn >= 0, chunk >= 0
        else { return nil }
        self.init(turn: turn, chunk: chunk)
    }

    /// The id of audio queued before its chunk is named: a stream whose marks are decided
    /// after the audio (a call engine's) appends under this id and names the chunk with
    /// ``OutboundPacer/finishOpenChunk(as:)``.
    public static let provisional = PlaybackChunkID(turn: Int.max, chunk: 0)

    /// The `mark` name for this chunk.
    public var markName: String { "turn-\(turn).chunk-\(chunk)" }

    /// Same as ``markName``.
    public var description: String { markName }

    /// Orders by turn, then chunk.
    public static func < (lhs: PlaybackChunkID, rhs: PlaybackChunkID) -> Bool {
        (lhs.turn, lhs.chunk) < (rhs.turn, rhs.chunk)
    }
}
