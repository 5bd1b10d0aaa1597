import TwilioREST

/// How a destination number behaves when the ``TwilioFake`` calls it.
public struct TwilioFakeBehavior: Sendable {
    /// What happens when the call rings out.
    public enum Answer: Sendable, Hashable {
        /// A person answers.
        case human
        /// A machine answers; with `MachineDetection=DetectMessageEnd` Twilio reports
        /// `endOfGreeting` (e.g. `machine_end_beep`), with `Enable` it reports `machine_start`.
        case machine(endOfGreeting: TwilioAnsweredBy)
        /// A fax answers.
        case fax
        /// `busy`.
        case busy
        /// `no-answer` (rings for the request's `Timeout`, capped by ``ringTime``).
        case noAnswer
        /// `failed` (e.g. an unreachable carrier), with SIP code 503.
        case failed
    }

    /// What the person (or machine) on the media stream does once the stream started; the
    /// fake sends `connected` and `start` first, and after the script returns it keeps
    /// listening (line noise) until the stream ends.
    public typealias StreamScript = @Sendable (TwilioWebSocketCaller) async throws -> Void

    /// The answer.
    public var answer: Answer
    /// A Twilio error code refusing the create request itself (e.g. 21211 invalid number,
    /// answered 400), nil to accept it.
    public var rejectionCode: Int?
    /// Time from `initiated` to `ringing`, and from `ringing` to the answer.
    public var ringTime: Duration
    /// The caller's side of the media stream.
    public var script: StreamScript?

    /// Creates a behavior.
    public init(answer: Answer, rejectionCode: Int? = nil, ringTime: Duration = .milliseconds(20), script: StreamScript? = nil) {
        self.answer = answer
        self.rejectionCode = rejectionCode
        self.ringTime = ringTime
        self.script = script
    }

    /// A person answers and runs `script` on the stream.
    public static func human(script: StreamScript? = nil) -> TwilioFakeBehavior { .init(answer: .human, script: script) }
    /// A voicemail machine whose greeting ends as `endOfGreeting`.
    public static func machine(_ endOfGreeting: TwilioAnsweredBy = .machineEndBeep) -> TwilioFakeBehavior { .init(answer: .machine(endOfGreeting: endOfGreeting)) }
    /// `busy`.
    public static let busy = TwilioFakeBehavior(answer: .busy)
    /// `no-answer`.
    public static let noAnswer = TwilioFakeBehavior(answer: .noAnswer)
    /// `failed`.
    public static let failed = TwilioFakeBehavior(answer: .failed)
    /// The create request is refused with `code` (400), e.g. 21211.
    public static func invalidNumber(code: Int = 21211) -> TwilioFakeBehavior { .init(answer: .failed, rejectionCode: code) }
}
