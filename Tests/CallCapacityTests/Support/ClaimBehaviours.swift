import CallCapacity
import Foundation
import Testing

/// Claims of unreserved (inbound) calls, held to the same tests on every backend.
enum ClaimBehaviours {
    static func claim(_ registry: any CapacityRegistry, _ worker: String, _ sid: String) async throws -> ClaimOutcome {
        try await registry.claim(workerID: worker, callSID: sid, clientID: "inbound", campaignID: nil)
    }

    /// A claimed call takes a slot as an active call, counts in usage, is refused when the worker
    /// is full, and frees its slot when released.
    static func claimCountsAndRefusesWhenFull(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(RegistryBehaviours.worker("w1", slots: 2))
        try await registry.register(RegistryBehaviours.worker("w2", slots: 2))
        let reservation = try await RegistryBehaviours.reserved(registry)
        #expect(reservation.workerID == "w1")
        let first = try #require(try await claim(registry, "w1", "CA1").call)
        #expect(first.workerID == "w1" && first.slot != reservation.slot && first.callSID == "CA1")
        var status = try #require(try await registry.worker("w1"))
        #expect(status.active == 1 && status.reserved == 1 && status.free == 0)
        #expect(try await registry.lookup(reservationID: reservation.id) == ReservationLookup(state: .held, workerID: "w1", workerAlive: true))
        #expect(try await registry.lookup(reservationID: first.reservationID)?.state == .active)
        #expect(try await registry.usage().byClient["inbound"] == 1)
        // Claiming again for the same call is idempotent.
        #expect(try await claim(registry, "w1", "CA1") == .claimed(first))
        // The worker is full: a second inbound call is refused, and reservations go elsewhere.
        #expect(try await claim(registry, "w1", "CA2") == .refused(.full(slots: 2)))
        #expect(try await RegistryBehaviours.reserved(registry).workerID == "w2")
        // Released at call end like a reserved call.
        #expect(try await registry.release(reservationID: first.reservationID) == true)
        #expect(try await registry.lookup(reservationID: first.reservationID) == nil)
        status = try #require(try await registry.worker("w1"))
        #expect(status.active == 0 && status.free == 1)
        let second = try #require(try await claim(registry, "w1", "CA2").call)
        #expect(second.slot == first.slot)
        await #expect(throws: CapacityError.workerNotFound(workerID: "nope")) { try await claim(registry, "nope", "CA3") }
        await #expect(throws: CapacityError.invalidArgument("callSID must not be empty")) { try await claim(registry, "w1", "") }
    }

    /// Draining and lapsed workers refuse claims; an expired hold gives way to a claim.
    static func claimRespectsDrainLeaseAndExpiredHolds(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(RegistryBehaviours.worker("w1", slots: 1))
        try await registry.drain(workerID: "w1")
        #expect(try await claim(registry, "w1", "CA1") == .refused(.draining))
        try await registry.undrain(workerID: "w1")
        let hold = try await RegistryBehaviours.reserved(registry, hold: harness.short)
        #expect(try await claim(registry, "w1", "CA1") == .refused(.full(slots: 1)))
        try await harness.advance(past: harness.short)
        #expect(try await registry.lookup(reservationID: hold.id)?.state == .lapsed)
        let call = try #require(try await claim(registry, "w1", "CA1").call)
        #expect(call.slot == hold.slot)
        await #expect(throws: CapacityError.reservationNotFound(id: hold.id)) { try await registry.confirm(reservationID: hold.id) }
        try await registry.register(RegistryBehaviours.worker("w2", slots: 1, ttl: harness.short))
        try await harness.advance(past: harness.short)
        #expect(try await claim(registry, "w2", "CA2") == .refused(.leaseExpired))
        // The claimed call is reported active on its (live) worker.
        #expect(try await registry.lookup(reservationID: call.reservationID) == ReservationLookup(state: .active, workerID: "w1", workerAlive: true))
    }
}

@Suite("Claims of unreserved calls (in memory)", .timeLimit(.minutes(2)))
struct InMemoryClaimTests {
    @Test func claimCountsAndRefusesWhenFull() async throws { try await ClaimBehaviours.claimCountsAndRefusesWhenFull(InMemoryHarness()) }
    @Test func claimRespectsDrainLeaseAndExpiredHolds() async throws { try await ClaimBehaviours.claimRespectsDrainLeaseAndExpiredHolds(InMemoryHarness()) }
}

@Suite("Claims of unreserved calls (PostgreSQL)", .timeLimit(.minutes(2)), .enabled(if: TestDatabase.shouldRun, TestDatabase.skipReason))
struct PostgresClaimTests {
    @Test func claimCountsAndRefusesWhenFull() async throws { try await TestDatabase.withRegistry { try await ClaimBehaviours.claimCountsAndRefusesWhenFull($0) } }
    @Test func claimRespectsDrainLeaseAndExpiredHolds() async throws { try await TestDatabase.withRegistry { try await ClaimBehaviours.claimRespectsDrainLeaseAndExpiredHolds($0) } }

    @Test("concurrent claims and reservations never overbook a worker")
    func concurrentClaimsNeverOverbook() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.registry
            try await registry.register(RegistryBehaviours.worker("w1", slots: 5))
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            return try await ClaimBehaviours.claim(registry, "w1", "CA\(index)").call != nil
                        }
                        return try await RegistryBehaviours.reserve(registry).reservation != nil
                    }
                }
                var granted = 0
                for try await ok in group where ok { granted += 1 }
                return granted
            }
            #expect(outcomes == 5)
            let status = try #require(try await registry.worker("w1"))
            #expect(status.used == 5 && status.free == 0)
        }
    }
}
