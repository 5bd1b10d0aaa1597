import CallEngine
import Logging
import NIOConcurrencyHelpers
import TwilioCallAdapter
import TwilioMediaStreams
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
        /// What an asynchronous AMD result did during the call.
        var lateAction: BotCallOptions.MachineAction?
        var lateError: String?
        var conversation: CallConversation?
        var callSid: String?
        var options = BotCallOptions()
        var control: (any TwilioCallControl)?
        var logger: Logger?
    }

    private let state = NIOLockedValueBox(State())

    /// Records the stream's transport and who answered (`AnsweredBy` custom parameter).
    func begin(transport: TwilioCallTransport, answeredBy raw: String?, action: BotCallOptions.MachineAction) {
        state.withLockedValue { state in
            state.transport = transport
            state.rawAnsweredBy = raw.map { String($0.prefix(32)) }
            state.answeredBy = TwilioAnsweredBy(twilioValue: raw)
            state.action = action
        }
    }

    /// What the bot does for who answered.
    var action: BotCallOptions.MachineAction { state.withLockedValue { $0.action } }

    /// The stream's transport (nil before ``begin(transport:answeredBy:action:)``).
    var transport: TwilioCallTransport? { state.withLockedValue { $0.transport } }

    /// The live call, for a machine result that arrives during it.
    func attach(
        conversation: CallConversation, callSid: String, options: BotCallOptions, control: (any TwilioCallControl)?, logger: Logger
    ) {
        state.withLockedValue { state in
            state.conversation = conversation
            state.callSid = callSid
            state.options = options
            state.control = control
            state.logger = logger
        }
    }

    /// An asynchronous AMD result for the live call: a machine gets the voicemail message
    /// (the call is redirected to `<Say>` + `<Hangup/>`; the stream ends) or is hung up, per
    /// the bot; a person goes on talking. Ignored when detection already decided.
    func machineDetected(_ answeredBy: TwilioAnsweredBy) async {
        let decision = state.withLockedValue { state -> (BotCallOptions.MachineAction, CallConversation?, String?, (any TwilioCallControl)?, Logger?)? in
            guard state.answeredBy == nil, state.lateAction == nil else { return nil }
            state.answeredBy = answeredBy
            state.rawAnsweredBy = answeredBy.rawValue
            let action = state.options.machineAction(answeredBy: answeredBy)
            state.lateAction = action
            return (action, state.conversation, state.callSid, state.control, state.logger)
        }
        guard let decision, let conversation = decision.1 else { return }
        let (action, _, callSid, control, logger) = decision
        logger?.info("answering machine (async detection)", metadata: ["answered_by": "\(answeredBy.rawValue)", "action": "\(action)"])
        switch action {
        case .converse:
            return
        case .hangUp:
            await conversation.endNow(reason: .agentEnded)
        case .leaveMessage(let message):
            do {
                guard let control, let callSid else { throw TwilioTransferError.notConfigured }
                try await control.redirect(callSid: callSid, twiml: try TwiMLVoiceResponse.hangUp(say: message).xml())
            } catch {
                logger?.error("voicemail redirect failed; hanging up", metadata: ["error": "\(error)"])
                state.withLockedValue { state in
                    state.lateAction = .hangUp
                    state.lateError = "voicemail_failed: \(error)"
                }
                await conversation.endNow(reason: .agentEnded)
            }
        }
    }

    /// Runs the conversation (for a machine: the voicemail message or an immediate hang-up)
    /// and completes its result.
    func run(_ conversation: CallConversation) async -> CallResult {
        let (action, transport, answeredBy) = state.withLockedValue { ($0.action, $0.transport, $0.rawAnsweredBy) }
        async let running = conversation.run()
        switch action {
        case .converse: break
        case .leaveMessage: await conversation.endPolitely(reason: .agentEnded)
        case .hangUp: await conversation.endNow(reason: .agentEnded)
        }
        var result = await running
        let (late, lateError, lateAnsweredBy) = state.withLockedValue { ($0.lateAction, $0.lateError, $0.rawAnsweredBy) }
        result.answeredBy = answeredBy ?? lateAnsweredBy
        switch action {
        case .converse: break
        case .leaveMessage: result.voicemailLeft = result.transcript.contains { if case .agent(let turn) = $0 { !turn.playedText.isEmpty } else { false } }
        case .hangUp: result.voicemailLeft = false
        }
        switch late {
        case nil, .converse?: break
        case .leaveMessage?:
            // Twilio spoke the message after the redirect; the stream's stop was not the caller.
            result.voicemailLeft = true
            result.endReason = .agentEnded
        case .hangUp?:
            result.voicemailLeft = false
            result.endReason = .agentEnded
        }
        if let lateError { result.errors.append(lateError) }
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
