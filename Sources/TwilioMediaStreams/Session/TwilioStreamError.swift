/// Why ``TwilioStreamSession`` rejected an inbound message.
public enum TwilioStreamError: Error, Sendable, Hashable {
    /// The message itself is malformed (see ``TwilioMessageError``).
    case message(TwilioMessageError)
    /// `sequenceNumber` equals the last accepted one.
    case duplicateSequenceNumber(UInt64)
    /// `sequenceNumber` is lower than the last accepted one.
    case outOfOrderSequenceNumber(received: UInt64, last: UInt64)
    /// `media` arrived before `start`.
    case mediaBeforeStart
    /// `mark` or `dtmf` arrived before `start`.
    case eventBeforeStart(TwilioEventKind)
    /// A second `start`.
    case duplicateStart
    /// `connected` after the stream had already begun.
    case unexpectedConnected
    /// A message after `stop`.
    case messageAfterStop(TwilioEventKind)
    /// `start.mediaFormat` is not `audio/x-mulaw`, 8000 Hz, mono.
    case unsupportedMediaFormat(TwilioMediaFormat)
    /// The session already ended the call; no message is processed any more.
    case sessionEnded

    /// A short stable label for metrics and logs.
    public var label: String {
        switch self {
        case .message(let error): error.label
        case .duplicateSequenceNumber: "duplicate_sequence_number"
        case .outOfOrderSequenceNumber: "out_of_order_sequence_number"
        case .mediaBeforeStart: "media_before_start"
        case .eventBeforeStart: "event_before_start"
        case .duplicateStart: "duplicate_start"
        case .unexpectedConnected: "unexpected_connected"
        case .messageAfterStop: "message_after_stop"
        case .unsupportedMediaFormat: "unsupported_media_format"
        case .sessionEnded: "session_ended"
        }
    }

    /// The outcome on its own (before the session's error budget is applied).
    ///
    /// A broken `start` or an unsupported audio format ends the call, since nothing after it
    /// can be understood; every other error only drops the one message.
    public var defaultOutcome: TwilioErrorOutcome {
        switch self {
        case .message(.missingField(event: .start, field: _)),
            .message(.invalidField(event: .start, field: _, reason: _)):
            .endCall
        case .unsupportedMediaFormat, .sessionEnded:
            .endCall
        default:
            .skipFrame
        }
    }
}
