import CallCapacity
import CallWorker
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// A registry whose `release` hangs until the test opens the gate, ignoring cancellation (a
/// database driver stuck on a dead connection). Everything else is in memory.
final class HangingReleaseRegistry: CapacityRegistry {
    let base = InMemoryCapacityRegistry()
    private let gate = NIOLockedValueBox<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    let releases = NIOLockedValueBox(0)

    func openGate() {
        let waiters = gate.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func release(reservationID: UUID) async throws(CapacityError) -> Bool {
        releases.withLockedValue { $0 += 1 }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = gate.withLockedValue { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
        return await base.release(reservationID: reservationID)
    }

    func register(_ registration: WorkerRegistration) async throws(CapacityError) -> Date { try await base.register(registration) }
    func heartbeat(workerID: String) async throws(CapacityError) -> Date { try await base.heartbeat(workerID: workerID) }
    func deregister(workerID: String) async throws(CapacityError) -> Bool { await base.deregister(workerID: workerID) }
    func releaseAll(workerID: String) async throws(CapacityError) -> Int { try await base.releaseAll(workerID: workerID) }
    func reserve(_ request: ReservationRequest) async throws(CapacityError) -> ReservationOutcome { try await base.reserve(request) }
    func confirm(reservationID: UUID, callSID: String?) async throws(CapacityError) -> ActiveCall {
        try await base.confirm(reservationID: reservationID, callSID: callSID)
    }
    func setDraining(workerID: String, _ draining: Bool) async throws(CapacityError) { try await base.setDraining(workerID: workerID, draining) }
    func setQuota(_ scope: QuotaScope, maxConcurrent: Int?) async throws(CapacityError) { try await base.setQuota(scope, maxConcurrent: maxConcurrent) }
    func quotas() async throws(CapacityError) -> [QuotaScope: Int] { await base.quotas() }
    func workers() async throws(CapacityError) -> [WorkerStatus] { await base.workers() }
    func usage() async throws(CapacityError) -> CapacityUsage { await base.usage() }
    func removeExpiredWorkers(gracePeriod: Duration) async throws(CapacityError) -> [String] {
        await base.removeExpiredWorkers(gracePeriod: gracePeriod)
    }
}

@Suite(.timeLimit(.minutes(2)))
struct CallEndBudgetTests {
    @Test func aHungRegistryReleaseDoesNotHoldTheCallsEndAndIsRetriedLater() async throws {
        let registry = HangingReleaseRegistry()
        let fleet = FleetMembership(
            registry: registry,
            registration: WorkerRegistration(workerID: "w1", streamURL: "wss://w1.example.com/ws", slots: 2, ttl: .seconds(30)),
            releaseAttempts: 1,
            operationTimeout: .seconds(3600),  // the per-operation timeout cannot rescue the call
            callEndBudget: .milliseconds(200),
            logger: Logger(label: "call-end-test")
        )
        _ = try await registry.register(fleet.registration)
        let reservation = try #require(try await registry.reserve(ReservationRequest(clientID: "acme")).reservation)
        // Returns although the release cannot complete (the gate is closed): bounded by
        // callEndBudget, not by the registry.
        let value = await fleet.tracking(reservationID: reservation.id, callSID: "CA-hung", logger: Logger(label: "t")) { 42 }
        #expect(value == 42)
        #expect(fleet.pendingReleaseCount == 1, "deferred to the heartbeat's retry")
        #expect(try await registry.usage().count(for: .client("acme")) == 1)

        // The database recovers: the hung release completes and the retry frees the slot.
        registry.openGate()
        #expect(await fleet.retryPendingReleases() == 0)
        #expect(try await registry.usage().count(for: .client("acme")) == 0)
    }
}
