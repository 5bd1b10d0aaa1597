import CallEngine
import CallResults
import Foundation
import Logging

/// A call's end-of-call work, in the order that loses nothing:
///
/// 1. at the start, a checkpoint (so a worker that dies mid-call leaves a partial result,
///    recovered as ``CallEndReason/workerLost`` at the next start), refreshed while the
///    conversation grows;
/// 2. at the end, the result is made durable (``StagedResultSink/persist(_:)``; for another
///    sink, its ``ResultSink/deliver(_:)``, which returns once the result is durable);
/// 3. then the fleet reservation is released (bounded by
///    ``FleetMembership/callEndBudget``);
/// 4. then the result is delivered (``StagedResultSink/dispatch(_:persistence:)``).
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
    /// How often the checkpoint is refreshed while the call's transcript grows.
    public var checkpointInterval: Duration = .seconds(2)

    /// Creates a pipeline.
    public init(sink: any ResultSink, fleet: FleetMembership?, logger: Logger) {
        self.sink = sink
        self.fleet = fleet
        self.logger = logger
    }

    /// Runs the call and its end-of-call work.
    public func run(_ conversation: CallConversation, reservationID: UUID?, callSID: String) async {
        let staged = sink as? any StagedResultSink
        let sink = self.sink
        let logger = self.logger
        let body = { () async -> (CallResult, ResultPersistence?) in
            let result = await withTaskGroup(of: CallResult?.self) { group in
                group.addTask { await self.checkpointWhileRunning(conversation) }
                let result = await conversation.run()
                group.cancelAll()
                await group.waitForAll()
                return result
            }
            if let staged {
                return (result, await Task { await staged.persist(result) }.value)
            }
            await Task {
                do {
                    try await sink.deliver(result)
                } catch {
                    logger.error("post-call result could not be delivered or stored", metadata: ["error": "\(error)"])
                }
            }.value
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

    /// Checkpoints the call at once, then again whenever its conversation grew, until cancelled.
    private func checkpointWhileRunning(_ conversation: CallConversation) async -> CallResult? {
        let identity = conversation.identity
        let startedAt = Date()
        var written = -1
        while !Task.isCancelled {
            let entries = await conversation.conversation.entries
            if entries.count != written {
                let partial = CallResult(
                    identity: identity, startedAt: startedAt, endedAt: Date(), endReason: .workerLost,
                    transcript: entries, lead: [:], turns: [], usage: CallUsage(), estimatedCost: 0,
                    errors: [], providers: [:], phases: []
                )
                do {
                    try await sink.checkpoint(partial)
                    written = entries.count
                } catch {
                    // Counted and logged by the sink; the call goes on.
                    written = entries.count
                }
            }
            do { try await Task.sleep(for: checkpointInterval) } catch { break }
        }
        return nil
    }
}
