/// `dtmf`: the caller pressed a key (bidirectional streams only).
public struct TwilioDTMFMessage: Codable, Sendable, Hashable {
    /// Message counter on the stream, a decimal string.
    public var sequenceNumber: String
    /// The stream id (`MZ…`).
    public var streamSid: String
    /// The key press.
    public var dtmf: DTMF

    /// Creates a `dtmf` message.
    public init(sequenceNumber: String, streamSid: String, track: String = "inbound_track", digit: String) {
        self.sequenceNumber = sequenceNumber
        self.streamSid = streamSid
        self.dtmf = DTMF(track: track, digit: digit)
    }

    /// The `dtmf` object.
    public struct DTMF: Codable, Sendable, Hashable {
        /// The track, `inbound_track`.
        public var track: String
        /// The key: `0`-`9`, `*`, `#`, `A`-`D`.
        public var digit: String

        /// Creates the `dtmf` object.
        public init(track: String, digit: String) {
            self.track = track
            self.digit = digit
        }
    }
}
