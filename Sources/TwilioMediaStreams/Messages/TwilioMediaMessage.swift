/// `media` as Twilio sends it: one chunk of the caller's audio.
///
/// This is the Codable form for tests, tools and the slow path. The per-frame path uses
/// ``TwilioMessageParser``, which yields a ``TwilioMediaFrame`` and decodes the payload into
/// caller-provided memory instead.
public struct TwilioMediaMessage: Codable, Sendable, Hashable {
    /// Message counter on the stream, a decimal string.
    public var sequenceNumber: String
    /// The stream id (`MZ…`).
    public var streamSid: String
    /// The audio and its position.
    public var media: Media

    /// Creates a `media` message.
    public init(sequenceNumber: String, streamSid: String, media: Media) {
        self.sequenceNumber = sequenceNumber
        self.streamSid = streamSid
        self.media = media
    }

    /// The `media` object of an inbound message.
    public struct Media: Codable, Sendable, Hashable {
        /// `inbound` or `outbound`.
        public var track: String
        /// Media message counter, a decimal string starting at `"1"`.
        public var chunk: String
        /// Presentation timestamp in milliseconds since the stream started, a decimal string.
        public var timestamp: String
        /// Base64 of raw mu-law bytes (8 kHz, no header).
        public var payload: String

        /// Creates the `media` object.
        public init(track: String, chunk: String, timestamp: String, payload: String) {
            self.track = track
            self.chunk = chunk
            self.timestamp = timestamp
            self.payload = payload
        }
    }
}
