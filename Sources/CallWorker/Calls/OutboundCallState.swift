import CallEngine
import Synchronization
import TwilioCallAdapter
import TwilioREST

/// What the worker's handler learns about one call when `start` arrives (its transport, who
/// answered, the bot's answer to that) and applies to the call's result at the end: the
/// transfer's real destination and outcome, the answering-machine outcome.
final class OutboundCallState: Sendable {
    private struct State {
        var transport: TwilioCallTransport?
        var answeredBy: TwilioAnsweredBy?
        var rawAnsweredBy: String?
        var action = BotCallOptions.MachineAction.converse
    }

    private let state = Mutex(State())

    /// Records the stream's transport and who answered (`AnsweredBy` custom parameter).
    func begin(transport: TwilioCallTransport, answeredBy raw: String?, action: BotCallOptions.MachineAction) {
        state.withLock { state in
            state.transport = transport
            state.rawAnsweredBy = raw.map { String($0.prefix(32)) }
            state.answeredBy = TwilioAnsweredBy(twilioValue: raw)
            state.action = action
        }
    }

    /// What the bot does for who answered.
    var action: BotCallOptions.MachineAction { state.withLock { $0.action } }

    /// Runs the conversation (for a machine: the voicemail message or an immediate hang-up)
    /// and completes its result.
    func run(_ conversation: CallConversation) async -> CallResult {
        let (action, transport, answeredBy) = state.withLock { ($0.action, $0.transport, $0.rawAnsweredBy) }
        async let running = conversation.run()
        switch action {
        case .converse: break
        case .leaveMessage: await conversation.endPolitely(reason: .agentEnded)
        case .hangUp: await conversation.endNow(reason: .agentEnded)
        }
        var result = await running
        result.answeredBy = answeredBy
        switch action {
        case .converse: break
        case .leaveMessage: result.voicemailLeft = result.transcript.contains { if case .agent(let turn) = $0 { !turn.playedText.isEmpty } else { false } }
        case .hangUp: result.voicemailLeft = false
        }
        if result.endReason == .transferred, let transport, let outcome = await transport.transferOutcome() {
            switch outcome {
            case .transferred(let destination):
                result.transferTarget = destination
            case .failed(let destination, let error):
                // The caller was hung up: the result says so, with the typed reason.
                result.endReason = .agentEnded
                result.transferTarget = destination
                result.errors.append("transfer_failed: \(error)")
            }
        }
        return result
    }
}
