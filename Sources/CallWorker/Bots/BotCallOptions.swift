import TwilioCallAdapter
import TwilioMediaStreams
import TwilioREST

/// A bot's telephony settings beyond the conversation: where `transfer_call` may send the
/// caller, and what to do when an answering machine answers. From the bots file:
///
///     "transfer": { "number": "+15551230000", "targets": { "support": "sip:help@pbx.example" },
///                   "callerId": "+15017122661", "say": "Connecting you now.", "timeoutSeconds": 30 },
///     "voicemail": { "message": "Hi, this is Acme. Please call us back.", "policy": "leave" }
public struct BotCallOptions: Sendable, Hashable, Codable {
    /// Where `transfer_call` goes. The model's `target` picks a named entry of `targets`;
    /// anything else goes to the default `number` (or `sip`). The model can never dial a
    /// destination that is not written here.
    public struct Transfer: Sendable, Hashable, Codable {
        /// Default destination: an E.164 number.
        public var number: String?
        /// Default destination: a `sip:` URI (when no `number`).
        public var sip: String?
        /// Named destinations (`"sales": "+1555…"`, `"support": "sip:…"`).
        public var targets: [String: String]?
        /// `callerId` of the `<Dial>`.
        public var callerId: String?
        /// A `<Say>` Twilio speaks before dialling (optional; the agent's own line comes first).
        public var say: String?
        /// Seconds the destination rings (5...600).
        public var timeoutSeconds: Int?

        /// Creates transfer settings.
        public init(number: String? = nil, sip: String? = nil, targets: [String: String]? = nil, callerId: String? = nil, say: String? = nil, timeoutSeconds: Int? = nil) {
            self.number = number
            self.sip = sip
            self.targets = targets
            self.callerId = callerId
            self.say = say
            self.timeoutSeconds = timeoutSeconds
        }
    }

    /// What happens when answering-machine detection says a machine answered.
    public struct Voicemail: Sendable, Hashable, Codable {
        /// `leave`: after the greeting's end (`machine_end_*`) speak ``message``, then hang up;
        /// `hangup`: hang up at once.
        public enum Policy: String, Sendable, Hashable, Codable {
            /// Leave the message.
            case leave
            /// Hang up.
            case hangup
        }

        /// The message left after the beep.
        public var message: String?
        /// The policy (default `leave` when a message is set, else `hangup`).
        public var policy: Policy?

        /// Creates voicemail settings.
        public init(message: String? = nil, policy: Policy? = nil) {
            self.message = message
            self.policy = policy
        }
    }

    /// What the worker does with a call, given who answered.
    public enum MachineAction: Sendable, Hashable {
        /// A person (or nobody said otherwise): the conversation.
        case converse
        /// Speak `message`, then hang up.
        case leaveMessage(String)
        /// Hang up at once.
        case hangUp
    }

    /// Transfer settings.
    public var transfer: Transfer?
    /// Voicemail settings.
    public var voicemail: Voicemail?

    /// Creates options.
    public init(transfer: Transfer? = nil, voicemail: Voicemail? = nil) {
        self.transfer = transfer
        self.voicemail = voicemail
    }

    /// Checks every value.
    /// - Throws: a reason.
    func validate(botID: String) throws(WorkerConfigurationError) {
        func fail(_ reason: String) -> WorkerConfigurationError { .invalidBot(id: botID, reason: reason) }
        if let transfer {
            guard transfer.number != nil || transfer.sip != nil || !(transfer.targets ?? [:]).isEmpty else {
                throw fail("transfer needs number, sip or targets")
            }
            var destinations = (transfer.targets ?? [:]).map { ("transfer.targets.\($0.key)", $0.value) }
            if let number = transfer.number { destinations.append(("transfer.number", number)) }
            if let sip = transfer.sip { destinations.append(("transfer.sip", sip)) }
            for (name, destination) in destinations where Self.dialTarget(destination) == nil {
                throw fail("\(name) must be an E.164 number or a sip: URI")
            }
            if let callerId = transfer.callerId, !Self.isE164(callerId) { throw fail("transfer.callerId must be an E.164 number") }
            if let seconds = transfer.timeoutSeconds, !(5...600).contains(seconds) { throw fail("transfer.timeoutSeconds must be in 5...600") }
        }
        if let voicemail {
            if voicemail.message?.isEmpty == true { throw fail("voicemail.message is empty") }
            if voicemail.policy == .leave, voicemail.message == nil { throw fail("voicemail policy leave needs a message") }
        }
    }

    /// The transfer route for the model's requested target, or nil when none is allowed.
    public func transferRoute(requestedTarget: String) -> TwilioTransferPlan.Route? {
        guard let transfer else { return nil }
        let named = transfer.targets?[requestedTarget]
            ?? transfer.targets?.first { $0.key.lowercased() == requestedTarget.lowercased() }?.value
        guard let destination = named ?? transfer.number ?? transfer.sip, let target = Self.dialTarget(destination) else { return nil }
        let dial = TwiMLVoiceResponse.Dial(target: target, callerID: transfer.callerId, timeoutSeconds: transfer.timeoutSeconds)
        guard let twiml = try? TwiMLVoiceResponse.transfer(dial, say: transfer.say).xml() else { return nil }
        return .init(destination: destination, twiml: twiml)
    }

    /// What to do for `answeredBy` (nil: detection did not run).
    public func machineAction(answeredBy: TwilioAnsweredBy?) -> MachineAction {
        guard let answeredBy, answeredBy.isMachine else { return .converse }
        guard let voicemail else { return .converse }
        let policy = voicemail.policy ?? (voicemail.message == nil ? .hangup : .leave)
        if policy == .leave, answeredBy.isEndOfGreeting, let message = voicemail.message { return .leaveMessage(message) }
        return .hangUp
    }

    /// Whether calls placed for this bot should ask Twilio for machine detection.
    public var wantsMachineDetection: Bool { voicemail != nil }

    static func dialTarget(_ destination: String) -> TwiMLVoiceResponse.DialTarget? {
        if isE164(destination) { return .number(destination) }
        let lower = destination.lowercased()
        if (lower.hasPrefix("sip:") || lower.hasPrefix("sips:")), destination.count > 5, !destination.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) {
            return .sip(destination)
        }
        return nil
    }

    /// `+` followed by 8 to 15 digits.
    static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.first == UInt8(ascii: "+"), (9...16).contains(utf8.count) else { return false }
        return utf8.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
