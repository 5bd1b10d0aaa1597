/// Any message Twilio sends on a Media Streams WebSocket, discriminated by `event`.
///
/// Encoding writes the `event` key next to the message's own fields, so an encoded value
/// decodes back to itself.
public enum TwilioInboundMessage: Codable, Sendable, Hashable {
    /// `connected`.
    case connected(TwilioConnectedMessage)
    /// `start`.
    case start(TwilioStartMessage)
    /// `media`.
    case media(TwilioMediaMessage)
    /// `mark` (an echo of a server mark).
    case mark(TwilioMarkMessage)
    /// `dtmf`.
    case dtmf(TwilioDTMFMessage)
    /// `stop`.
    case stop(TwilioStopMessage)

    /// The `event` discriminator of this message.
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

    private enum CodingKeys: String, CodingKey { case event }

    /// Decodes a message by its `event` key.
    /// - Throws: `DecodingError.dataCorrupted` for an event Twilio does not send (including `clear`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .event)
        switch TwilioEventKind(rawValue: name) {
        case .connected: self = .connected(try TwilioConnectedMessage(from: decoder))
        case .start: self = .start(try TwilioStartMessage(from: decoder))
        case .media: self = .media(try TwilioMediaMessage(from: decoder))
        case .mark: self = .mark(try TwilioMarkMessage(from: decoder))
        case .dtmf: self = .dtmf(try TwilioDTMFMessage(from: decoder))
        case .stop: self = .stop(try TwilioStopMessage(from: decoder))
        case .clear, nil:
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: container, debugDescription: "not an event Twilio sends: \(name)")
        }
    }

    /// Encodes the message's fields plus its `event` key.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .connected(let m): try m.encode(to: encoder)
        case .start(let m): try m.encode(to: encoder)
        case .media(let m): try m.encode(to: encoder)
        case .mark(let m): try m.encode(to: encoder)
        case .dtmf(let m): try m.encode(to: encoder)
        case .stop(let m): try m.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.rawValue, forKey: .event)
    }
}
