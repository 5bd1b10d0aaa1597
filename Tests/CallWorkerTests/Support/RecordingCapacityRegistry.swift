import CallCapacity
import Foundation
import Synchronization

/// An ``InMemoryCapacityRegistry`` that records the operations a worker performs, in order,
/// and can be told to fail them (a database outage).
final class RecordingCapacityRegistry: CapacityRegistry {
    let base = InMemoryCapacityRegistry()
    private let log = Mutex<[String]>([])
    private let failing = Mutex(false)

    /// Operations so far, e.g. `register w1`, `confirm`, `drain w1`.
    var operations: [String] { log.withLock { $0 } }

    /// Makes every later operation throw ``CapacityError/database(message:)``.
    func setFailing(_ value: Bool) { failing.withLock { $0 = value } }

    private func record(_ operation: String) throws(CapacityError) {
        log.withLock { $0.append(operation) }
        if failing.withLock({ $0 }) { throw .database(message: "connection refused (test)") }
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
        return try await base.confirm(reservationID: reservationID, callSID: callSID)
    }

    func release(reservationID: UUID) async throws(CapacityError) -> Bool {
        try record("release")
        return await base.release(reservationID: reservationID)
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
        if failing.withLock({ $0 }) { throw .database(message: "connection refused (test)") }
        return await base.workers()
    }

    func usage() async throws(CapacityError) -> CapacityUsage { await base.usage() }

    func removeExpiredWorkers(gracePeriod: Duration) async throws(CapacityError) -> [String] {
        await base.removeExpiredWorkers(gracePeriod: gracePeriod)
    }
}
