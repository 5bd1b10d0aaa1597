/// Limits for ``TwilioStreamSession``.
public struct TwilioStreamSessionConfiguration: Sendable, Hashable {
    /// Longest accepted message in bytes (default 64 KiB).
    public var maximumMessageBytes: Int
    /// Longest accepted decoded `media` payload in bytes (default 8000: one second).
    public var maximumPayloadBytes: Int
    /// Rejected messages in a row after which the call ends (default 50: one second of frames).
    public var maximumConsecutiveErrors: Int
    /// Rejected messages in total after which the call ends (default 500).
    public var maximumTotalErrors: Int

    /// Creates a configuration.
    public init(
        maximumMessageBytes: Int = TwilioMessageParser.defaultMaximumMessageBytes,
        maximumPayloadBytes: Int = TwilioMessageParser.defaultMaximumPayloadBytes,
        maximumConsecutiveErrors: Int = 50,
        maximumTotalErrors: Int = 500
    ) {
        self.maximumMessageBytes = maximumMessageBytes
        self.maximumPayloadBytes = maximumPayloadBytes
        self.maximumConsecutiveErrors = maximumConsecutiveErrors
        self.maximumTotalErrors = maximumTotalErrors
    }
}
