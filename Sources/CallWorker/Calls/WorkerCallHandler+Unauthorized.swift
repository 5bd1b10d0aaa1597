import CallEngine
import Foundation
import Logging
import TwilioMediaStreams

extension WorkerCallHandler {
    /// Ends a stream whose `start` failed ``StreamAdmission`` before any call begins (no
    /// greeting, no provider is asked): a warning with `call_sid` and the reason, a refused
    /// call in the statistics, and a result with end reason `unauthorized` (the call ids are
    /// the ones the stream claimed; the result says they were not vouched for).
    static func refuseUnauthorized(
        _ start: TwilioStartMessage, botID: String, refusal: StreamTokenError,
        sink: any ResultSink, statistics: CallStatistics, logger: Logger
    ) async {
        logger.warning("refused media stream after start: unauthorized", metadata: [
            "reason": "\(refusal.label)", "detail": "\(refusal)",
        ])
        statistics.callRefused(reason: "unauthorized")
        let now = Date()
        var parameters = start.start.customParameters
        parameters[StreamToken.parameterName] = nil
        let identity = CallIdentity(
            callID: start.start.callSid, streamID: start.streamSid, botID: botID, accountID: start.start.accountSid,
            from: parameters["From"], to: parameters["To"], customParameters: parameters)
        let result = CallResult(
            identity: identity, startedAt: now, endedAt: now, endReason: .unauthorized, transcript: [], lead: [:], turns: [],
            usage: CallUsage(), estimatedCost: 0, errors: ["\(refusal.label): \(refusal)"], providers: [:], phases: [])
        // Stored and delivered like any result (outbox first); no fleet reservation is touched.
        await ResultPipeline(sink: sink, fleet: nil, logger: logger).run(
            identity: identity, reservationID: nil, callSID: identity.callID, call: { result })
    }
}
