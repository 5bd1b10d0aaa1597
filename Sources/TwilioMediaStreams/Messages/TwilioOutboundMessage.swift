/// Any message the server may send to Twilio on a bidirectional stream.
public enum TwilioOutboundMessage: Codable, Sendable, Hashable {
    /// `media`: audio to play.
    case media(TwilioOutboundMediaMessage)
    /// `mark`: notify me when the audio before this has been played (or flushed).
    case mark(TwilioMarkMessage)
    /// `clear`: drop buffered audio.
    case clear(TwilioClearMessage)

    /// The `event` discriminator of this message.
    public var event: TwilioEventKind {
        switch self {
        case .media: .media
        case .mark: .mark
        case .clear: .clear
        }
    }

    /// The stream the message addresses.
    public var streamSid: String {
        switch self {
        case .media(let m): m.streamSid
        case .mark(let m): m.streamSid
        case .clear(let m): m.streamSid
        }
    }

    private enum CodingKeys: String, CodingKey { case event }

    /// Decodes a server message by its `event` key.
    /// - Throws: `DecodingError.dataCorrupted` for an event the server may not send.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .event)
        switch TwilioEventKind(rawValue: name) {
        case .media: self = .media(try TwilioOutboundMediaMessage(from: decoder))
        case .mark: self = .mark(try TwilioMarkMessage(from: decoder))
        case .clear: self = .clear(try TwilioClearMessage(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .event, in: container, debugDescription: "not an event the server sends: \(name)")
        }
    }

    /// Encodes the message's fields plus its `event` key.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .media(let m): try m.encode(to: encoder)
        case .mark(let m): try m.encode(to: encoder)
        case .clear(let m): try m.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.rawValue, forKey: .event)
    }
}
