import SpeechServices
import VoiceActivity

/// One unit of agent work the engine runs as a child task of the call.
enum TurnWork: Sendable, Equatable {
    /// Transcribe the caller's utterance and reply.
    case transcribeAndReply(Utterance)
    /// Transcribe a short utterance heard while the agent was talking: a backchannel
    /// is ignored, anything else interrupts and is answered.
    case checkInterruption(Utterance)
    /// Transcribe the utterance in progress while the caller pauses (see
    /// ``SpeculationPolicy``); the result waits for the end of the turn, or is dropped.
    case speculate(Utterance)
    /// Reply to text that is already in the history (keys, a transcript from a check).
    case reply
    /// Say a fixed line (greeting, idle prompt, apology, goodbye).
    case say(String, AgentTurn.Kind)
}

/// Something worth counting or logging that the state machine decided.
enum CallNote: Sendable, Equatable {
    /// The caller interrupted the agent.
    case bargeIn(heard: String)
    /// The short-audio filter dropped an utterance (an STT request saved).
    case utteranceDropped(String)
    /// A provider failed in `stage` after its resilience wrappers.
    case providerFailed(CallStatistics.Stage, String)
    /// A phrase came from the TTS cache.
    case ttsCacheHit
    /// A turn reached the caller; its timings count.
    case turnCompleted(TurnTimings)
    /// The caller was idle; the agent prompts (prompt number).
    case idlePrompt(Int)
    /// An utterance was skipped: the call's STT requests for the minute were used.
    case sttThrottled
    /// A short utterance over the agent was a backchannel.
    case backchannel(String)
    /// A transcript was empty or junk: no reply.
    case junkTranscript(String)
    /// The agent ends or transfers the call.
    case agentEnds(CallEndReason, target: String?)
    /// An event arrived in a state that cannot take it (a bug or a late report).
    case rejected(String)
}

/// What the state machine asks the engine's actor to do, in order.
enum CallAction: Sendable, Equatable {
    /// Start turn `id` as a child task.
    case startTurn(id: Int, TurnWork)
    /// Cancel these turns' tasks (barge-in, a newer utterance, the call ending).
    case cancelTurns([Int])
    /// Send a command to the transport.
    case send(TransportCommand)
    /// Take the utterance in progress from the detector and pass it to
    /// ``CallStateMachine/speculate(_:)`` (the caller paused long enough).
    case speculate
    /// Write a checkpoint of the result (a turn boundary).
    case checkpoint
    /// Count or log something.
    case note(CallNote)
    /// The call is over: stop taking work and produce the result.
    case finish(CallEndReason)
}
