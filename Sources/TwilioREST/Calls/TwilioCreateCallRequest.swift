/// `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`: place an outbound call.
///
/// The form fields are written in the order Twilio's helper library writes them, with
/// `StatusCallbackEvent` repeated once per event and booleans as `true`/`false`.
public struct TwilioCreateCallRequest: Sendable, Hashable {
    /// What the call does when answered.
    public enum Instructions: Sendable, Hashable {
        /// Inline TwiML (at most 4000 characters).
        case twiml(String)
        /// A URL Twilio requests for TwiML (signed, with `CallSid`, `AnsweredBy`, …), and its method.
        case url(String, method: String = "POST")
    }

    /// `StatusCallbackEvent` values.
    public enum StatusEvent: String, Sendable, Hashable, CaseIterable {
        /// Twilio started dialling.
        case initiated
        /// The destination rings.
        case ringing
        /// Answered.
        case answered
        /// Ended (any final status).
        case completed
    }

    /// `MachineDetection`.
    public enum MachineDetection: String, Sendable, Hashable {
        /// `Enable`: `AnsweredBy` as soon as known (`human`, `machine_start`, `fax`, `unknown`).
        case enable = "Enable"
        /// `DetectMessageEnd`: waits for the greeting's end (`machine_end_beep`, …).
        case detectMessageEnd = "DetectMessageEnd"
    }

    /// Largest inline TwiML Twilio accepts.
    public static let maximumTwiMLLength = 4000

    /// `To`: E.164 number, SIP address or `client:name`.
    public var to: String
    /// `From`: a Twilio number or verified caller id.
    public var from: String
    /// `Twiml` or `Url` (+ `Method`).
    public var instructions: Instructions
    /// `StatusCallback`.
    public var statusCallback: String?
    /// `StatusCallbackEvent` (repeated); empty means Twilio's default (`completed` only).
    public var statusCallbackEvents: [StatusEvent]
    /// `StatusCallbackMethod` (default `POST` when a callback is set).
    public var statusCallbackMethod: String?
    /// `Timeout`: ring seconds, 1...600.
    public var timeoutSeconds: Int?
    /// `Record`.
    public var record: Bool?
    /// `MachineDetection`.
    public var machineDetection: MachineDetection?
    /// `MachineDetectionTimeout` seconds.
    public var machineDetectionTimeoutSeconds: Int?
    /// `AsyncAmd`: detection runs beside the call instead of holding it.
    public var asyncAMD: Bool?
    /// `AsyncAmdStatusCallback`: where the detection result is posted.
    public var asyncAMDStatusCallback: String?
    /// `AsyncAmdStatusCallbackMethod`.
    public var asyncAMDStatusCallbackMethod: String?

    /// Creates a request.
    public init(
        to: String,
        from: String,
        instructions: Instructions,
        statusCallback: String? = nil,
        statusCallbackEvents: [StatusEvent] = [],
        statusCallbackMethod: String? = nil,
        timeoutSeconds: Int? = nil,
        record: Bool? = nil,
        machineDetection: MachineDetection? = nil,
        machineDetectionTimeoutSeconds: Int? = nil,
        asyncAMD: Bool? = nil,
        asyncAMDStatusCallback: String? = nil,
        asyncAMDStatusCallbackMethod: String? = nil
    ) {
        self.to = to
        self.from = from
        self.instructions = instructions
        self.statusCallback = statusCallback
        self.statusCallbackEvents = statusCallbackEvents
        self.statusCallbackMethod = statusCallbackMethod
        self.timeoutSeconds = timeoutSeconds
        self.record = record
        self.machineDetection = machineDetection
        self.machineDetectionTimeoutSeconds = machineDetectionTimeoutSeconds
        self.asyncAMD = asyncAMD
        self.asyncAMDStatusCallback = asyncAMDStatusCallback
        self.asyncAMDStatusCallbackMethod = asyncAMDStatusCallbackMethod
    }

    /// Checks what Twilio would refuse before anything is sent.
    /// - Throws: ``TwilioRESTError/invalidRequest(_:)``.
    public func validate() throws(TwilioRESTError) {
        guard !to.isEmpty, to.utf8.count <= 256 else { throw .invalidRequest("To must be 1-256 characters") }
        guard !from.isEmpty, from.utf8.count <= 256 else { throw .invalidRequest("From must be 1-256 characters") }
        switch instructions {
        case .twiml(let twiml):
            guard !twiml.isEmpty, twiml.count <= Self.maximumTwiMLLength else {
                throw .invalidRequest("Twiml must be 1-\(Self.maximumTwiMLLength) characters (got \(twiml.count))")
            }
        case .url(let url, let method):
            guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") else { throw .invalidRequest("Url must be http(s)") }
            guard method == "GET" || method == "POST" else { throw .invalidRequest("Method must be GET or POST") }
        }
        if let timeoutSeconds, !(1...600).contains(timeoutSeconds) { throw .invalidRequest("Timeout must be in 1...600") }
        if let seconds = machineDetectionTimeoutSeconds, !(3...59).contains(seconds) {
            throw .invalidRequest("MachineDetectionTimeout must be in 3...59")
        }
        if !statusCallbackEvents.isEmpty, statusCallback == nil { throw .invalidRequest("StatusCallbackEvent needs StatusCallback") }
    }

    /// The form fields, in order.
    public var formFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [("To", to), ("From", from)]
        if case .url(_, let method) = instructions { fields.append(("Method", method)) }
        if let statusCallback { fields.append(("StatusCallback", statusCallback)) }
        for event in statusCallbackEvents { fields.append(("StatusCallbackEvent", event.rawValue)) }
        if let method = statusCallbackMethod ?? (statusCallback == nil ? nil : "POST") { fields.append(("StatusCallbackMethod", method)) }
        if let timeoutSeconds { fields.append(("Timeout", "\(timeoutSeconds)")) }
        if let record { fields.append(("Record", record ? "true" : "false")) }
        if let machineDetection { fields.append(("MachineDetection", machineDetection.rawValue)) }
        if let seconds = machineDetectionTimeoutSeconds { fields.append(("MachineDetectionTimeout", "\(seconds)")) }
        if let asyncAMD { fields.append(("AsyncAmd", asyncAMD ? "true" : "false")) }
        if let asyncAMDStatusCallback { fields.append(("AsyncAmdStatusCallback", asyncAMDStatusCallback)) }
        if let asyncAMDStatusCallbackMethod { fields.append(("AsyncAmdStatusCallbackMethod", asyncAMDStatusCallbackMethod)) }
        switch instructions {
        case .twiml(let twiml): fields.append(("Twiml", twiml))
        case .url(let url, _): fields.append(("Url", url))
        }
        return fields
    }
}
