/// One status or answering-machine callback Twilio posted (form fields, real names).
///
/// Progress callbacks (`StatusCallback`) carry `CallStatus` and `SequenceNumber`; terminal
/// ones add `CallDuration`/`Duration`, failed or busy ones may add `SipResponseCode`. Async
/// AMD callbacks (`AsyncAmdStatusCallback`) carry `AnsweredBy` and `MachineDetectionDuration`
/// and no `CallStatus`.
public struct TwilioCallStatusEvent: Sendable, Hashable {
    /// `CallSid`.
    public var callSID: String
    /// `AccountSid`.
    public var accountSID: String?
    /// `CallStatus` (nil in an AMD callback).
    public var callStatus: TwilioCallStatus?
    /// `AnsweredBy` (progress callbacks with detection on, and AMD callbacks).
    public var answeredBy: TwilioAnsweredBy?
    /// `SequenceNumber`: order callbacks of one call by it.
    public var sequenceNumber: Int?
    /// `CallDuration` seconds (terminal events).
    public var callDuration: Int?
    /// `Duration` (terminal events).
    public var duration: Int?
    /// `MachineDetectionDuration` milliseconds (AMD callbacks).
    public var machineDetectionDurationMs: Int?
    /// `SipResponseCode` (failed or busy calls).
    public var sipResponseCode: Int?
    /// `ErrorCode`, when present.
    public var errorCode: Int?
    /// `Direction`.
    public var direction: String?
    /// `From`.
    public var from: String?
    /// `To`.
    public var to: String?
    /// `Timestamp` (RFC 2822).
    public var timestamp: String?
    /// `CallbackSource` (`call-progress-events`).
    public var callbackSource: String?

    /// Creates an event.
    public init(callSID: String, callStatus: TwilioCallStatus?, answeredBy: TwilioAnsweredBy? = nil, sequenceNumber: Int? = nil) {
        self.callSID = callSID
        self.callStatus = callStatus
        self.answeredBy = answeredBy
        self.sequenceNumber = sequenceNumber
    }

    /// Whether this is an answering-machine-detection result rather than a progress event.
    public var isMachineDetectionResult: Bool { callStatus == nil && answeredBy != nil }

    /// Parses form parameters (name → values; the first value counts).
    /// - Throws: ``TwilioCallbackError/malformed(_:)`` without a valid `CallSid`, or with
    ///   neither `CallStatus` nor `AnsweredBy`.
    public init(form: [String: [String]]) throws(TwilioCallbackError) {
        func text(_ name: String) -> String? {
            guard let value = form[name]?.first, !value.isEmpty else { return nil }
            return String(value.prefix(256))
        }
        func number(_ name: String) -> Int? {
            guard let raw = text(name), raw.utf8.count <= 18, let value = Int(raw), value >= 0 else { return nil }
            return value
        }
        guard let sid = text("CallSid"), TwilioSIDCheck.isCall(sid) else { throw .malformed("CallSid missing or not CA + 32 hex digits") }
        let status = text("CallStatus").map { TwilioCallStatus($0) }
        let answeredBy = TwilioAnsweredBy(twilioValue: text("AnsweredBy"))
        guard status != nil || answeredBy != nil else { throw .malformed("neither CallStatus nor AnsweredBy") }
        self.init(callSID: sid, callStatus: status, answeredBy: answeredBy, sequenceNumber: number("SequenceNumber"))
        accountSID = text("AccountSid")
        callDuration = number("CallDuration")
        duration = number("Duration")
        machineDetectionDurationMs = number("MachineDetectionDuration")
        sipResponseCode = number("SipResponseCode")
        errorCode = number("ErrorCode")
        direction = text("Direction")
        from = text("From")
        to = text("To")
        timestamp = text("Timestamp")
        callbackSource = text("CallbackSource")
    }
}
