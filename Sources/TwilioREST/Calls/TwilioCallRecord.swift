/// A Call resource as Twilio's REST API returns it (the fields a caller needs; the rest of
/// Twilio's keys are ignored).
public struct TwilioCallRecord: Sendable, Hashable, Decodable {
    /// `sid` (`CA…`).
    public var sid: String
    /// `account_sid`.
    public var accountSID: String?
    /// `status`.
    public var status: TwilioCallStatus
    /// `to`.
    public var to: String?
    /// `from`.
    public var from: String?
    /// `direction` (`outbound-api`, `inbound`, …).
    public var direction: String?
    /// `answered_by` when machine detection ran.
    public var answeredBy: String?
    /// `duration` in seconds (a string on the wire, null until the call ends).
    public var duration: String?
    /// `parent_call_sid`.
    public var parentCallSID: String?
    /// `date_created` (RFC 2822).
    public var dateCreated: String?
    /// `start_time` (RFC 2822).
    public var startTime: String?
    /// `end_time` (RFC 2822).
    public var endTime: String?
    /// `uri`.
    public var uri: String?

    /// Creates a record.
    public init(sid: String, accountSID: String? = nil, status: TwilioCallStatus, to: String? = nil, from: String? = nil, direction: String? = nil) {
        self.sid = sid
        self.accountSID = accountSID
        self.status = status
        self.to = to
        self.from = from
        self.direction = direction
    }

    /// ``answeredBy`` as a typed value.
    public var answeredByValue: TwilioAnsweredBy? { TwilioAnsweredBy(twilioValue: answeredBy) }

    private enum CodingKeys: String, CodingKey {
        case sid, status, to, from, direction, duration, uri
        case accountSID = "account_sid"
        case answeredBy = "answered_by"
        case parentCallSID = "parent_call_sid"
        case dateCreated = "date_created"
        case startTime = "start_time"
        case endTime = "end_time"
    }
}
