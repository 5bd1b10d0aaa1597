import CallCapacity
import CallEngine
import CallTesting
import CallWorker
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// Calls that reach a worker without a reservation (inbound) take a registry slot on that
/// worker, are refused when it has none, and give the slot back at the end.
@Suite(.timeLimit(.minutes(2)))
struct WorkerInboundClaimTests {
    @Test func anUnreservedCallClaimsASlotAndReleasesItAtTheEnd() async throws {
        let registry = ClaimObservingRegistry()
        let fleet = WorkerFleetTests.membership(registry)
        let harness = WorkerHarness(fleet: fleet)
        let sid = TestSID.call(8101)
        try await harness.run { port in
            await fleet.waitUntilRegistered()
            _ = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: sid) { caller in
                caller.connectedAndStart()
                let greeted = try await caller.waitInSilence(seconds: 20) { $0.echoes.count >= 1 }
                #expect(greeted)
                // The call holds a slot as an active call of client "inbound".
                let status = try #require(try await registry.base.worker("w1"))
                #expect(status.active == 1 && status.free == 1)
                #expect(try await registry.base.usage().byClient == [FleetMembership.inboundClientID: 1])
                caller.stop()
            }
            _ = await harness.sink.waitForResults(1)
            await registry.released.wait()
            #expect(try await registry.base.worker("w1")?.used == 0)
        }
        #expect(registry.claimedSIDs == [sid])
    }

    @Test func anUnreservedCallIsRefusedWhenTheRegistryHasNoSlotForTheWorker() async throws {
        let registry = ClaimObservingRegistry()
        let fleet = WorkerFleetTests.membership(registry, slots: 1)
        let harness = WorkerHarness(fleet: fleet)
        try await harness.run { port in
            await fleet.waitUntilRegistered()
            // A dialler holds the worker's only slot.
            let held = try await registry.reserve(ReservationRequest(clientID: "acme", hold: .seconds(60)))
            #expect(held.reservation?.workerID == "w1")
            _ = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(8102)) { caller in
                caller.connectedAndStart()
                let greeted = try await caller.waitInSilence(seconds: 20) { $0.echoes.count >= 1 }
                #expect(!greeted)
                #expect(caller.isServerClosed)
            }
            #expect(harness.server.statistics.document().calls.refused == 1)
            // The registry still shows one used slot: the dialler's, nothing more.
            #expect(try await registry.base.worker("w1")?.used == 1)
        }
    }
}

/// An ``InMemoryCapacityRegistry`` that signals the first release and records claims.
final class ClaimObservingRegistry: CapacityRegistry {
    let base = InMemoryCapacityRegistry()
    let released = WireSignal()
    private let claims = NIOLockedValueBox<[String]>([])

    var claimedSIDs: [String] { claims.withLockedValue { $0 } }

    func register(_ registration: WorkerRegistration) async throws(CapacityError) -> Date { try await base.register(registration) }
    func heartbeat(workerID: String) async throws(CapacityError) -> Date { try await base.heartbeat(workerID: workerID) }
    func deregister(workerID: String) async throws(CapacityError) -> Bool { await base.deregister(workerID: workerID) }
    func releaseAll(workerID: String) async throws(CapacityError) -> Int { try await base.releaseAll(workerID: workerID) }
    func reserve(_ request: ReservationRequest) async throws(CapacityError) -> ReservationOutcome { try await base.reserve(request) }
    func claim(workerID: String, callSID: String, clientID: String, campaignID: String?) async throws(CapacityError) -> ClaimOutcome {
        let outcome = try await base.claim(workerID: workerID, callSID: callSID, clientID: clientID, campaignID: campaignID)
        if outcome.call != nil { claims.withLockedValue { $0.append(callSID) } }
        return outcome
    }
    func lookup(reservationID: UUID) async throws(CapacityError) -> ReservationLookup? { await base.lookup(reservationID: reservationID) }
    func confirm(reservationID: UUID, callSID: String?) async throws(CapacityError) -> ActiveCall {
        try await base.confirm(reservationID: reservationID, callSID: callSID)
    }
    func release(reservationID: UUID) async throws(CapacityError) -> Bool {
        let freed = await base.release(reservationID: reservationID)
        released.fire()
        return freed
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

