/// Counts kept by one ``TwilioStreamSession``, for the call's metrics and result.
public struct TwilioStreamCounters: Sendable, Hashable {
    /// Messages received (accepted or not).
    public var messages = 0
    /// `media` messages accepted.
    public var mediaFrames = 0
    /// Mu-law bytes accepted.
    public var mediaBytes = 0
    /// Mark echoes accepted.
    public var marksEchoed = 0
    /// DTMF key presses accepted.
    public var dtmfDigits = 0
    /// Messages rejected with outcome ``TwilioErrorOutcome/skipFrame``.
    public var skippedMessages = 0
    /// Messages rejected with outcome ``TwilioErrorOutcome/endCall``.
    public var endCallErrors = 0
    /// Accepted messages whose `sequenceNumber` jumped ahead (messages missing before them).
    public var sequenceGaps = 0
    /// Total messages missing in those gaps.
    public var missingMessages: UInt64 = 0
    /// Rejections by ``TwilioStreamError/label``.
    public var errorsByKind: [String: Int] = [:]

    /// Creates zeroed counters.
    public init() {}
}
