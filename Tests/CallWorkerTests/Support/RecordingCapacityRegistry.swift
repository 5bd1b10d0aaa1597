import CallCapacity
import Foundation
import NIOConcurrencyHelpers

/// An ``InMemoryCapacityRegistry`` that records the operations a worker performs, in order,
/// and can be told to fail them (a database outage).
final class RecordingCapacityRegistry: CapacityRegistry {
    let base = InMemoryCapacityRegistry()
    private let log = NIOLockedValueBox<[String]>([])
    private let failing = NIOLockedValueBox(false)

    /// Operations so far, e.g. `register w1`, `confirm`, `drain w1`.
    var operations: [String] { log.withLockedValue { $0 } }

    /// Makes every later operation throw ``CapacityError/database(message:)``.
    func setFailing(_ value: Bool) { failing.withLockedValue { $0 = value } }

    private func record(_ operation: String) throws(CapacityError) {
        log.withLockedValue { $0.append(operation) }
        if failing.withLockedValue({ $0 }) { throw .database(message: "connection refused (test)") }
    }

    private struct Completions {
        var done: [String] = []
        var waiters: [(operation: String, continuation: CheckedContinuation<Void, Never>)] = []
    }
    private let completions = NIOLockedValueBox(Completions())

    /// Suspends until `operation` (as in ``operations``) has completed successfully at least
    /// once: its effect is visible in the registry. Bound it with the suite's time limit.
    func waitUntilCompleted(_ operation: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = completions.withLockedValue { state -> Bool in
                if state.done.contains(operation) { return true }
                state.waiters.append((operation, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func completed(_ operation: String) {
        let ready = completions.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.done.append(operation)
            let ready = state.waiters.filter { $0.operation == operation }.map(\.continuation)
            state.waiters.removeAll { $0.operation == operation }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    func register(_ registration: WorkerRegistration) async throws(CapacityError) -> Date {
        try record("register \(registration.workerID)")
        return try await base.register(registration)
    }

    func heartbeat(workerID: String) async throws(CapacityError) -> Date {
        try record("heartbeat \(workerID)")
        return try await base.heartbeat(workerID: workerID)
    }

    func deregister(workerID: String) async throws(CapacityError) -> Bool {
        try record("deregister \(workerID)")
        return await base.deregister(workerID: workerID)
    }

    func releaseAll(workerID: String) async throws(CapacityError) -> Int {
        try record("releaseAll \(workerID)")
        return try await base.releaseAll(workerID: workerID)
    }

    func reserve(_ request: ReservationRequest) async throws(CapacityError) -> ReservationOutcome {
        try await base.reserve(request)
    }

    func confirm(reservationID: UUID, callSID: String?) async throws(CapacityError) -> ActiveCall {
        try record("confirm \(callSID ?? "-")")
        let call = try await base.confirm(reservationID: reservationID, callSID: callSID)
        completed("confirm \(callSID ?? "-")")
        return call
    }

    func release(reservationID: UUID) async throws(CapacityError) -> Bool {
        try record("release")
        let released = await base.release(reservationID: reservationID)
        completed("release")
        return released
    }

    func setDraining(workerID: String, _ draining: Bool) async throws(CapacityError) {
        try record("\(draining ? "drain" : "undrain") \(workerID)")
        try await base.setDraining(workerID: workerID, draining)
    }

    func setQuota(_ scope: QuotaScope, maxConcurrent: Int?) async throws(CapacityError) {
        try await base.setQuota(scope, maxConcurrent: maxConcurrent)
    }

    func quotas() async throws(CapacityError) -> [QuotaScope: Int] { await base.quotas() }

    func workers() async throws(CapacityError) -> [WorkerStatus] {
        if failing.withLockedValue({ $0 }) { throw .database(message: "connection refused (test)") }
        return await base.workers()
    }

    func usage() async throws(CapacityError) -> CapacityUsage { await base.usage() }

    func removeExpiredWorkers(gracePeriod: Duration) async throws(CapacityError) -> [String] {
        await base.removeExpiredWorkers(gracePeriod: gracePeriod)
    }
}
