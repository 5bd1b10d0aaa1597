import Foundation

/// The body of `POST /attach`: hand a reserved call to this worker, which places it.
///
///     {"reservation_id":"2f1c…","bot":"sales","to":"+15558675310","from":"+15017122661",
///      "lead":{"id":"lead-42","name":"Ada"}}
///
/// `from` falls back to `TWILIO_FROM_NUMBER`. Lead values are strings (numbers and booleans
/// are accepted and kept as text); `lead.id` goes to the stream as `lead_id`.
public struct AttachRequest: Sendable, Hashable {
    /// The fleet reservation (a UUID): the idempotency key.
    public var reservationID: UUID
    /// The bot to run.
    public var bot: String
    /// The destination (E.164).
    public var to: String
    /// The caller id, if given.
    public var from: String?
    /// The lead's fields.
    public var lead: [String: String]

    /// The lead's id, if any.
    public var leadID: String? { lead["id"] }

    /// Parses and checks a body.
    /// - Throws: a reason for a 400 answer.
    public static func parse(_ body: Data) throws(AttachError) -> AttachRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else { throw .badRequest("body is not a JSON object") }
        guard let raw = object["reservation_id"] as? String, let reservation = UUID(uuidString: raw) else {
            throw .badRequest("reservation_id must be a UUID")
        }
        guard let bot = object["bot"] as? String, !bot.isEmpty, bot.count <= 64 else { throw .badRequest("bot is required") }
        guard let to = object["to"] as? String, BotCallOptions.isE164(to) else { throw .badRequest("to must be an E.164 number") }
        var from: String?
        if let value = object["from"] {
            guard let text = value as? String, BotCallOptions.isE164(text) else { throw .badRequest("from must be an E.164 number") }
            from = text
        }
        var lead: [String: String] = [:]
        if let value = object["lead"] {
            guard let fields = value as? [String: Any], fields.count <= 64 else { throw .badRequest("lead must be an object of at most 64 fields") }
            for (key, value) in fields {
                let text: String
                switch value {
                case let string as String: text = string
                case let number as NSNumber: text = number.stringValue
                default: throw .badRequest("lead.\(key.prefix(32)) must be a string, number or boolean")
                }
                guard key.count <= 64, text.count <= 1024 else { throw .badRequest("lead fields are limited to 64-character names and 1024-character values") }
                lead[key] = text
            }
        }
        if let id = lead["id"], id.isEmpty || id.count > 128 { throw .badRequest("lead.id must be 1-128 characters") }
        return AttachRequest(reservationID: reservation, bot: bot, to: to, from: from, lead: lead)
    }
}

/// Why `POST /attach` was refused; each maps to one status.
public enum AttachError: Error, Sendable, Hashable {
    /// 400: the body is wrong.
    case badRequest(String)
    /// 401: missing or wrong `X-Attach-Signature`.
    case unauthorized(String)
    /// 403: `ATTACH_SECRET` is not set (the route fails closed).
    case disabled
    /// 404: no such bot.
    case unknownBot
    /// 409: the reservation id was used for another call.
    case conflict
    /// 503: draining, full, or Twilio REST / `PUBLIC_HOST` not configured.
    case unavailable(String)
    /// 502: Twilio refused or failed the call.
    case twilio(code: Int?, status: Int?, message: String)
}
