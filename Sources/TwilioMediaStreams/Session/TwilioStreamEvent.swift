/// What one inbound message meant, as decided by ``TwilioStreamSession``.
public enum TwilioStreamEvent: Sendable, Hashable {
    /// `connected`.
    case connected(TwilioConnectedMessage)
    /// `start`: the call and stream ids, format and custom parameters are known.
    case started(TwilioStartMessage)
    /// Caller audio; the mu-law bytes are the first `payloadByteCount` bytes of the buffer
    /// passed to ``TwilioStreamSession/receive(_:payloadInto:)-(UnsafeRawBufferPointer,_)``.
    case media(TwilioMediaFrame)
    /// The caller pressed a key.
    case dtmf(digit: String)
    /// Twilio echoed the mark named `name` (played, or flushed by `clear`; see ``PlaybackTracker``).
    case markEchoed(name: String)
    /// `stop`: the stream ended.
    case stopped(TwilioStopMessage)
    /// The message was rejected; `outcome` says whether to carry on or end the call.
    case rejected(TwilioStreamError, outcome: TwilioErrorOutcome)
}
