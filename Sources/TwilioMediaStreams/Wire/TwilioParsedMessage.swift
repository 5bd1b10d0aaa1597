/// The result of parsing one inbound WebSocket text message.
///
/// `media` comes out as a ``TwilioMediaFrame`` (payload in the caller's buffer); the other,
/// rare events come out as their Codable types.
public enum TwilioParsedMessage: Sendable, Hashable {
    /// `connected`.
    case connected(TwilioConnectedMessage)
    /// `start`.
    case start(TwilioStartMessage)
    /// `media`; the payload bytes are in the caller's buffer.
    case media(TwilioMediaFrame)
    /// `mark` (Twilio's echo of a server mark).
    case mark(TwilioMarkMessage)
    /// `dtmf`.
    case dtmf(TwilioDTMFMessage)
    /// `stop`.
    case stop(TwilioStopMessage)

    /// The `event` discriminator.
    public var event: TwilioEventKind {
        switch self {
        case .connected: .connected
        case .start: .start
        case .media: .media
        case .mark: .mark
        case .dtmf: .dtmf
        case .stop: .stop
        }
    }

    /// The `sequenceNumber` string, when the event carries one (all but `connected`).
    var sequenceNumberText: String? {
        switch self {
        case .connected, .media: nil
        case .start(let m): m.sequenceNumber
        case .mark(let m): m.sequenceNumber
        case .dtmf(let m): m.sequenceNumber
        case .stop(let m): m.sequenceNumber
        }
    }
}
