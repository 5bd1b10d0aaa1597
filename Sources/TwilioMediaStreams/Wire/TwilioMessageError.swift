/// Why one inbound WebSocket message could not be turned into a Twilio message.
///
/// Thrown by ``TwilioMessageParser``; ``TwilioStreamSession`` wraps it and decides the
/// outcome (skip the frame or end the call).
public enum TwilioMessageError: Error, Sendable, Hashable {
    /// The message is larger than the configured limit; it was not parsed.
    case messageTooLarge(byteCount: Int, limit: Int)
    /// The text is not valid JSON (or not a JSON object).
    case malformedJSON(reason: String)
    /// An `event` this library does not know, or one only the server sends (`clear`).
    /// The value is cut to 64 characters.
    case unknownEvent(String)
    /// A required field is absent. `field` is a dotted path such as `media.payload`.
    case missingField(event: TwilioEventKind?, field: String)
    /// A field has the wrong JSON type or an unusable value (for example a non-decimal
    /// `sequenceNumber`, or a `track` other than `inbound`/`outbound`).
    case invalidField(event: TwilioEventKind?, field: String, reason: String)
    /// `media.payload` is not strict, padded base64.
    case invalidBase64(payloadLength: Int)
    /// The decoded payload is empty or longer than the configured maximum. (Any non-empty
    /// length is whole mu-law samples; these bounds are what "valid frame" means here.)
    case invalidPayloadLength(byteCount: Int, maximum: Int)
    /// The caller's payload buffer is smaller than the decoded payload.
    case payloadBufferTooSmall(required: Int, available: Int)
    /// The message names a different stream than the one this parser expects.
    case streamSidMismatch

    /// A short stable label for metrics and logs (`malformed_json`, `bad_base64`, …).
    public var label: String {
        switch self {
        case .messageTooLarge: "message_too_large"
        case .malformedJSON: "malformed_json"
        case .unknownEvent: "unknown_event"
        case .missingField: "missing_field"
        case .invalidField: "invalid_field"
        case .invalidBase64: "bad_base64"
        case .invalidPayloadLength: "bad_payload_length"
        case .payloadBufferTooSmall: "payload_buffer_too_small"
        case .streamSidMismatch: "stream_sid_mismatch"
        }
    }
}
