import CallEngine
import CallResults
import Foundation
import Logging

/// A call's end-of-call work, in the order that loses nothing:
///
/// 1. before the call runs, a first checkpoint (identity and start time), so a worker that
///    dies mid-call leaves a partial result, recovered as ``CallEndReason/workerLost`` at the
///    next start (the engine refreshes the checkpoint at turn boundaries);
/// 2. at the end, the result is made durable (``StagedResultSink/persist(_:)``; for another
///    sink, its ``ResultSink/deliver(_:)``, which returns once the result is durable);
/// 3. then, once the carrier's side of the call is over (`streamEnded`, bounded by its caller),
///    the fleet reservation is released (bounded by ``FleetMembership/callEndBudget``), so the
///    registry never shows a slot free while the carrier still counts the call as live;
/// 4. then the result is delivered (``StagedResultSink/dispatch(_:persistence:)``: one
///    bounded attempt, redelivery afterwards).
///
/// Steps 2 and 4 run in unstructured tasks, so a cancelled call still stores and delivers
/// its result.
public struct ResultPipeline: Sendable {
    /// Where results go.
    public let sink: any ResultSink
    /// The fleet membership, when the worker is in a fleet.
    public let fleet: FleetMembership?
    /// The call's logger (carries `call_sid`).
    public let logger: Logger

    /// Creates a pipeline.
    public init(sink: any ResultSink, fleet: FleetMembership?, logger: Logger) {
        self.sink = sink
        self.fleet = fleet
        self.logger = logger
    }

    /// Runs the call (`call`, e.g. `{ await conversation.run() }`) and its end-of-call work.
    /// - Parameters:
    ///   - identity: The call's identity (for the first checkpoint).
    ///   - reservationID: The call's fleet reservation, if any.
    ///   - callSID: The carrier's call id.
    ///   - streamEnded: Returns once the carrier's side of the call is over (or a bound passed);
    ///     awaited after the result is durable and before the reservation is released.
    ///   - call: Runs the call to its end and returns its result.
    public func run(
        identity: CallIdentity,
        reservationID: UUID?,
        callSID: String,
        streamEnded: @escaping @Sendable () async -> Void = {},
        call: @escaping @Sendable () async -> CallResult
    ) async {
        let staged = sink as? any StagedResultSink
        let (sink, logger) = (self.sink, self.logger)
        let started = Date()
        // A failed checkpoint is counted and logged by the sink; the call goes on.
        try? await sink.checkpoint(CallResult(
            identity: identity, startedAt: started, endedAt: started, endReason: .workerLost,
            transcript: [], lead: [:], turns: [], usage: CallUsage(), estimatedCost: 0,
            errors: [], providers: [:], phases: []
        ))
        let body = { () async -> (CallResult, ResultPersistence?) in
            let result = await call()
            if let staged {
                let persistence = await Task { await staged.persist(result) }.value
                await streamEnded()
                return (result, persistence)
            }
            await Task {
                do {
                    try await sink.deliver(result)
                } catch {
                    logger.error("post-call result could not be delivered or stored", metadata: ["error": "\(error)"])
                }
            }.value
            await streamEnded()
            return (result, nil)
        }
        let (result, persistence): (CallResult, ResultPersistence?)
        if let fleet {
            (result, persistence) = await fleet.tracking(reservationID: reservationID, callSID: callSID, logger: logger, during: body)
        } else {
            (result, persistence) = await body()
        }
        if let staged, let persistence {
            await Task { await staged.dispatch(result, persistence: persistence) }.value
        }
    }
}
