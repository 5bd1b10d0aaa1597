import CallEngine

/// A ``ResultSink`` whose delivery has two steps the worker runs apart: first the result is
/// made durable, then (after the call's other end-of-call work, such as releasing its fleet
/// reservation) it is delivered.
///
/// ``ResultSink/deliver(_:)`` of such a sink is both steps in a row.
public protocol StagedResultSink: ResultSink {
    /// Step one: writes the result durably. Never throws; a storage failure is reported in
    /// the return value (and counted), and ``dispatch(_:persistence:)`` must still be called.
    func persist(_ result: CallResult) async -> ResultPersistence
    /// Step two: delivers the result (one bounded attempt when it is durable, redelivery
    /// later otherwise; every remaining effort when it is not durable). A result that is
    /// neither durable nor delivered is counted in `results_lost_total` and logged.
    func dispatch(_ result: CallResult, persistence: ResultPersistence) async
}
