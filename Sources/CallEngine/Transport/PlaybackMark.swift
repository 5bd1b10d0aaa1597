/// An opaque marker the engine places after a chunk of agent audio. The transport carries it
/// unchanged to the carrier and reports it back once: ``TransportEvent/markPlayed(_:)`` when
/// the audio before it was played, or ``TransportEvent/markFlushed(_:)`` when a
/// ``TransportCommand/clear`` dropped it.
public struct PlaybackMark: Sendable, Hashable, CustomStringConvertible {
    /// The engine's number for the mark, unique within a call.
    public let rawValue: UInt64

    /// Wraps a mark number (transports rebuild marks they carried as text with this).
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A decimal string, for carriers whose marks are text (Twilio's `mark.name`).
    public var description: String { String(rawValue) }

    /// Parses ``description``.
    public init?(_ text: Substring) {
        guard let value = UInt64(text) else { return nil }
        rawValue = value
    }
}
