/// `mark`: sent by the server after audio, and echoed by Twilio when the audio before it is
/// no longer queued (played, or flushed by `clear`).
///
/// The server's form has no `sequenceNumber`; Twilio's echo has one.
public struct TwilioMarkMessage: Codable, Sendable, Hashable {
    /// Message counter (Twilio's echo only), a decimal string.
    public var sequenceNumber: String?
    /// The stream id (`MZ…`).
    public var streamSid: String
    /// The mark's label.
    public var mark: Mark

    /// Creates a `mark` message.
    public init(sequenceNumber: String? = nil, streamSid: String, name: String) {
        self.sequenceNumber = sequenceNumber
        self.streamSid = streamSid
        self.mark = Mark(name: name)
    }

    /// The `mark` object.
    public struct Mark: Codable, Sendable, Hashable {
        /// The label the server chose.
        public var name: String

        /// Creates the `mark` object.
        public init(name: String) {
            self.name = name
        }
    }
}
