import SpeechServices
import VoiceActivity

/// One unit of agent work, run as a child task of the call.
struct TurnRequest: Sendable {
    /// What to do.
    enum Work: Sendable {
        /// Transcribe the caller's utterance and reply.
        case transcribeAndReply(Utterance)
        /// Transcribe a short utterance heard while the agent was talking: a backchannel
        /// is ignored, anything else interrupts and is answered.
        case checkInterruption(Utterance)
        /// Reply to text that is already known (DTMF digits, a transcript from a check).
        case reply
        /// Say a fixed line (greeting, idle prompt, apology, goodbye).
        case say(String, AgentTurn.Kind)
    }

    /// Turn number, unique within the call.
    var id: Int
    /// The work.
    var work: Work
    /// Fired by the conversation to cancel the work (barge-in, call end).
    var signal: TurnSignal
}
