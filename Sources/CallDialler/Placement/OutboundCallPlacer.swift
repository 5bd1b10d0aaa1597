/// Places one outbound phone call. The dialler's only dependency on the carrier's REST API.
///
/// A Twilio adapter creates the call (`POST /2010-04-01/Accounts/{AccountSid}/Calls.json`)
/// with `To`, `From`, TwiML `<Connect><Stream url="{streamURL}">` carrying
/// ``OutboundCallRequest/streamParameters`` as `<Parameter>`s, `StatusCallback` =
/// ``OutboundCallRequest/statusCallbackURL`` with the events `initiated ringing answered
/// completed`, and `MachineDetection=Enable` when ``OutboundCallRequest/machineDetection`` is set;
/// it maps Twilio's error JSON onto ``CallPlacementError``.
public protocol OutboundCallPlacer: Sendable {
    /// Creates the phone call; the carrier answers with the call SID or a typed error.
    func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall
}

/// Everything a carrier needs to create one outbound call of a lead.
public struct OutboundCallRequest: Sendable, Hashable {
    /// The lead's number (E.164).
    public var to: String
    /// The campaign's caller id (a Twilio number or verified caller id).
    public var from: String
    /// The carrier account the call is placed with (the pace is per account).
    public var account: String
    /// The reserved worker's media-stream URL for the campaign's bot: `wss://<worker host>/ws/{botId}`.
    public var streamURL: String
    /// `<Parameter>`s of the stream: `reservation_id`, `lead_id`, `bot` (and `campaign_id`).
    public var streamParameters: [String: String]
    /// Where the carrier posts signed status callbacks for this call.
    public var statusCallbackURL: String
    /// Whether answering-machine detection is requested (`MachineDetection=Enable`).
    public var machineDetection: Bool
    /// Ring time before the call counts as `no-answer`.
    public var ringTimeout: Duration

    /// Creates a request.
    public init(
        to: String, from: String, account: String, streamURL: String, streamParameters: [String: String],
        statusCallbackURL: String, machineDetection: Bool, ringTimeout: Duration = .seconds(30)
    ) {
        self.to = to
        self.from = from
        self.account = account
        self.streamURL = streamURL
        self.streamParameters = streamParameters
        self.statusCallbackURL = statusCallbackURL
        self.machineDetection = machineDetection
        self.ringTimeout = ringTimeout
    }
}

/// A call the carrier accepted.
public struct PlacedCall: Sendable, Hashable {
    /// The carrier's call id (Twilio: `CA` + 32 hex digits).
    public var callSID: String

    /// Creates a value.
    public init(callSID: String) { self.callSID = callSID }
}

/// Why a call could not be placed. Each case tells the dialler what to do with the lead.
public enum CallPlacementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Too many requests (Twilio 429 / 20429): the dialler slows the account down and dials
    /// the lead again later without counting an attempt.
    case rateLimited(retryAfter: Duration?)
    /// The number cannot be called (Twilio 21211, 21215, 21219, ...): the lead fails with this
    /// code and is never retried.
    case invalidNumber(code: Int, message: String)
    /// The credentials were refused (Twilio 20003): the campaign is paused, the lead waits.
    case authentication(message: String)
    /// A network or server error: the attempt counts and the lead is retried with backoff.
    case transient(message: String)

    /// A short label for logs and metrics.
    public var label: String {
        switch self {
        case .rateLimited: "rate_limited"
        case .invalidNumber: "invalid_number"
        case .authentication: "authentication"
        case .transient: "transient"
        }
    }

    /// Human-readable description.
    public var description: String {
        switch self {
        case .rateLimited(let after): "rate limited (retry after \(after.map { "\($0)" } ?? "unspecified"))"
        case .invalidNumber(let code, let message): "invalid number (\(code)): \(message)"
        case .authentication(let message): "authentication failed: \(message)"
        case .transient(let message): "transient error: \(message)"
        }
    }
}
