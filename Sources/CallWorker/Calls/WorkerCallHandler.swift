import CallEngine
import Foundation
import Logging
import TwilioCallAdapter
import TwilioMediaStreams
import TwilioREST

/// The worker's side of a Twilio media stream: builds the bot's ``CallConversation`` on
/// `start`, attaches it to the call slot (so a drain can end it), runs it inside the fleet
/// registry's tracking, and delivers its result, also when the socket dies.
struct WorkerCallHandler: TwilioCallHandler {
    let botID: String
    let configuration: CallEngineConfiguration
    let providers: CallProviders
    let resultSink: any ResultSink
    let statistics: CallStatistics
    let registry: CallRegistry
    let fleet: FleetMembership?
    let slot: CallRegistry.Slot
    let streamAdmission: StreamAdmission
    let logger: Logger
    /// The bot's transfer and voicemail settings.
    var options = BotCallOptions()
    /// Twilio REST control of live calls (transfers); nil without REST credentials.
    var callControl: (any TwilioCallControl)?
    /// Transfer and answering-machine state of this stream's call.
    let outbound = OutboundCallState()
    /// Asynchronous answering-machine results by call SID (from `POST /twilio/status`).
    var machineResults: MachineDetectionResults?
    /// Longest a finished call's slot waits for the carrier's side of its media stream to end
    /// (a `stop`, or the answer to the worker's close); a peer that ignores the close holds it
    /// no longer than this.
    var streamEndBudget: Duration = .seconds(2)

    func conversation(for start: TwilioStartMessage, transport: TwilioCallTransport) async -> CallConversation? {
        // The stream token of the signed TwiML answer: a replayed or forged `start` ends here.
        if case .failure(let refusal) = streamAdmission.check(start, botID: botID) {
            var logger = self.logger
            logger[metadataKey: "bot_id"] = "\(botID)"
            logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
            await Self.refuseUnauthorized(start, botID: botID, refusal: refusal, sink: resultSink, statistics: statistics, logger: logger)
            return nil
        }
        // A call without a reservation takes a registry slot here, or is refused (item: the
        // registry's free count is always true).
        if let fleet, fleet.reservationID(in: start.start.customParameters, logger: logger) == nil {
            var logger = self.logger
            logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
            if case .refused(let refusal) = await fleet.admitUnreserved(callSID: start.start.callSid, logger: logger) {
                logger.warning("refused media stream after start: no registry slot", metadata: ["reason": "\(refusal)"])
                statistics.callRefused(reason: "fleet_\(refusal)")
                return nil
            }
        }
        let identity = CallIdentity(
            callID: start.start.callSid,
            streamID: start.streamSid,
            botID: botID,
            accountID: start.start.accountSid,
            from: start.start.customParameters["From"] ?? start.start.customParameters["from"],
            to: start.start.customParameters["To"] ?? start.start.customParameters["to"],
            customParameters: start.start.customParameters
        )
        let sink = resultSink
        let answeredBy = start.start.customParameters["AnsweredBy"] ?? machineResults?.take(start.start.callSid)?.rawValue
        let action = options.machineAction(answeredBy: TwilioAnsweredBy(twilioValue: answeredBy))
        var configuration = self.configuration
        if case .leaveMessage(let message) = action {
            // The message is the call's only line: no greeting, then goodbye = the message.
            configuration.greeting = nil
            configuration.goodbye = message
        }
        outbound.begin(transport: transport, answeredBy: answeredBy, action: action)
        if let callControl {
            let options = self.options
            transport.enableTransfer(TwilioTransferPlan(callSid: start.start.callSid, control: callControl) { target in
                options.transferRoute(requestedTarget: target)
            })
        }
        if action != .converse {
            var logger = self.logger
            logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
            logger.info("answering machine", metadata: ["answered_by": "\(answeredBy ?? "-")", "action": "\(action)"])
        }
        let conversation = CallConversation(
            identity: identity,
            configuration: configuration,
            providers: providers,
            transport: transport,
            statistics: statistics,
            checkpoints: { partial in try? await sink.checkpoint(partial) },
            logger: logger
        )
        registry.attach(conversation, to: slot)
        var callLogger = logger
        callLogger[metadataKey: "call_sid"] = "\(start.start.callSid)"
        outbound.attach(conversation: conversation, callSid: start.start.callSid, options: options, control: callControl, logger: callLogger)
        machineResults?.register(start.start.callSid, outbound)
        return conversation
    }

    func run(_ conversation: CallConversation, start: TwilioStartMessage) async {
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(start.start.callSid)"
        let reservationID = fleet?.reservationID(in: start.start.customParameters, logger: logger)
        // Durable first, then the end of the carrier's stream, then the registry release, then
        // delivery (see ResultPipeline).
        let transport = outbound.transport
        let budget = streamEndBudget
        await ResultPipeline(sink: resultSink, fleet: fleet, logger: logger)
            .run(
                identity: conversation.identity, reservationID: reservationID, callSID: start.start.callSid,
                streamEnded: { [logger] in
                    guard let transport, !(await transport.waitUntilStreamEnded(timeout: budget)) else { return }
                    logger.warning("the media stream was still open after the call; freeing its slot anyway", metadata: [
                        "timeout_s": "\(budget.components.seconds)",
                    ])
                }
            ) { [outbound] in
                await outbound.run(conversation)
            }
        machineResults?.unregister(start.start.callSid)
        // The call is over, its result is durable and the carrier's stream has ended (or its
        // budget passed): the slot is free.
        registry.release(slot)
    }

    func rejected(_ error: TwilioStreamError) {
        statistics.badMessage(kind: error.label)
    }
}
