/// Where a call is in its life. Only the transitions in ``allowedNext`` are legal.
///
/// ```
/// connecting -> greeting -> listening <-> callerSpeaking -> thinking -> speaking -> listening ...
///                                any phase -> ending -> ended
/// ```
public enum CallPhase: String, Sendable, Hashable, Codable, CaseIterable {
    /// The transport is up; the call has not started talking yet.
    case connecting
    /// The agent plays its greeting.
    case greeting
    /// Waiting for the caller.
    case listening
    /// The caller is talking (an utterance is being collected).
    case callerSpeaking
    /// Transcribing and asking the language model.
    case thinking
    /// The agent is talking (a reply, an idle prompt or an apology).
    case speaking
    /// Saying goodbye / tearing down; no new turns start.
    case ending
    /// Finished. Terminal.
    case ended

    /// Phases reachable from this one.
    public var allowedNext: Set<CallPhase> {
        switch self {
        case .connecting: [.greeting, .listening, .ending]
        case .greeting: [.listening, .callerSpeaking, .thinking, .ending]
        case .listening: [.callerSpeaking, .thinking, .speaking, .ending]
        case .callerSpeaking: [.thinking, .listening, .speaking, .ending]
        case .thinking: [.speaking, .listening, .callerSpeaking, .ending]
        case .speaking: [.listening, .callerSpeaking, .thinking, .ending]
        case .ending: [.ended]
        case .ended: []
        }
    }
}
