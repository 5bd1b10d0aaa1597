/// `media` as the server sends it: agent audio for Twilio to play, in order.
///
/// Codable form for tests and tools; the per-frame path uses ``TwilioOutboundEncoder``.
public struct TwilioOutboundMediaMessage: Codable, Sendable, Hashable {
    /// The stream id (`MZ…`) from `start`.
    public var streamSid: String
    /// The audio.
    public var media: Media

    /// Creates an outbound `media` message with a base64 payload.
    public init(streamSid: String, payload: String) {
        self.streamSid = streamSid
        self.media = Media(payload: payload)
    }

    /// The outbound `media` object.
    public struct Media: Codable, Sendable, Hashable {
        /// Base64 of raw mu-law bytes (8 kHz, no header, any length).
        public var payload: String

        /// Creates the `media` object.
        public init(payload: String) {
            self.payload = payload
        }
    }
}
