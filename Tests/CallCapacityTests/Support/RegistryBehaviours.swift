import CallCapacity
import Foundation
import Testing

/// The behaviour every ``CapacityRegistry`` backend must show. Each backend's suite calls
/// these with its own harness, so the in-memory and PostgreSQL backends are held to the same tests.
enum RegistryBehaviours {
    static func worker(_ id: String, slots: Int, labels: [String: String] = [:], ttl: Duration = .seconds(120)) -> WorkerRegistration {
        WorkerRegistration(workerID: id, streamURL: "wss://\(id).example/ws", slots: slots, labels: labels, ttl: ttl)
    }

    static func reserve(
        _ registry: any CapacityRegistry, client: String = "acme", campaign: String? = nil,
        labels: [String: String] = [:], hold: Duration = .seconds(120)
    ) async throws -> ReservationOutcome {
        try await registry.reserve(ReservationRequest(clientID: client, campaignID: campaign, requiredLabels: labels, hold: hold))
    }

    static func reserved(
        _ registry: any CapacityRegistry, client: String = "acme", campaign: String? = nil,
        labels: [String: String] = [:], hold: Duration = .seconds(120),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reservation {
        let outcome = try await reserve(registry, client: client, campaign: campaign, labels: labels, hold: hold)
        return try #require(outcome.reservation, "expected a reservation, got \(outcome)", sourceLocation: sourceLocation)
    }

    // MARK: Behaviours

    static func reserveConfirmRelease(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 2))
        let reservation = try await reserved(registry, client: "acme", campaign: "spring")
        #expect(reservation.workerID == "w1")
        #expect(reservation.streamURL == "wss://w1.example/ws")
        #expect(reservation.slot == 0)
        #expect(reservation.clientID == "acme")
        #expect(reservation.campaignID == "spring")

        var status = try #require(try await registry.worker("w1"))
        #expect(status.reserved == 1 && status.active == 0 && status.free == 1 && status.state == .available)

        let call = try await registry.confirm(reservationID: reservation.id, callSID: "CA123")
        #expect(call == ActiveCall(reservationID: reservation.id, workerID: "w1", slot: 0,
                                   clientID: "acme", campaignID: "spring", callSID: "CA123"))
        // Confirming twice is harmless and returns the same call.
        #expect(try await registry.confirm(reservationID: reservation.id) == call)

        status = try #require(try await registry.worker("w1"))
        #expect(status.reserved == 0 && status.active == 1 && status.free == 1)
        #expect(try await registry.usage() == CapacityUsage(byClient: ["acme": 1], byCampaign: ["spring": 1]))

        #expect(try await registry.release(reservationID: reservation.id) == true)
        #expect(try await registry.release(reservationID: reservation.id) == false)
        status = try #require(try await registry.worker("w1"))
        #expect(status.used == 0 && status.free == 2)
        #expect(try await registry.usage() == CapacityUsage())
        await #expect(throws: CapacityError.reservationNotFound(id: reservation.id)) {
            try await registry.confirm(reservationID: reservation.id)
        }
        let unknown = UUID()
        await #expect(throws: CapacityError.reservationNotFound(id: unknown)) {
            try await registry.confirm(reservationID: unknown)
        }
    }

    static func fullFleetAnswersNoCapacity(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        #expect(try await reserve(registry) == .noCapacity(.noEligibleWorker))
        try await registry.register(worker("w-a", slots: 1))
        try await registry.register(worker("w-b", slots: 1))
        try await registry.register(worker("w-zero", slots: 0))
        let first = try await reserved(registry)
        let second = try await reserved(registry)
        // Slot 0 of every worker before slot 1 of any: calls are spread over workers.
        #expect(Set([first.workerID, second.workerID]) == ["w-a", "w-b"])
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))
        #expect(try await registry.release(reservationID: first.id))
        let third = try await reserved(registry)
        #expect(third.workerID == first.workerID && third.slot == first.slot)
    }

    static func labelsSelectWorkers(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("eu-1", slots: 1, labels: ["region": "eu", "version": "2"]))
        try await registry.register(worker("us-1", slots: 1, labels: ["region": "us", "version": "2"]))
        let eu = try await reserved(registry, labels: ["region": "eu"])
        #expect(eu.workerID == "eu-1")
        #expect(try await reserve(registry, labels: ["region": "eu"]) == .noCapacity(.allSlotsBusy))
        #expect(try await reserve(registry, labels: ["region": "ap"]) == .noCapacity(.noEligibleWorker))
        #expect(try await reserve(registry, labels: ["region": "us", "version": "3"]) == .noCapacity(.noEligibleWorker))
        let us = try await reserved(registry, labels: ["region": "us", "version": "2"])
        #expect(us.workerID == "us-1")
        let listed = try await registry.workers()
        #expect(listed.map(\.workerID) == ["eu-1", "us-1"])
        #expect(listed.first?.labels == ["region": "eu", "version": "2"])
    }

    static func unconfirmedReservationsExpire(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 2))
        let short = try await reserved(registry, client: "acme", hold: harness.short)
        let long = try await reserved(registry, client: "acme", hold: .seconds(120))
        #expect(short.expiresAt < long.expiresAt)
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))

        try await harness.advance(past: harness.short)

        // The short hold lapsed: its slot is free again and it no longer counts; the long one does.
        let status = try #require(try await registry.worker("w1"))
        #expect(status.reserved == 1 && status.free == 1)
        #expect(try await registry.usage().byClient == ["acme": 1])
        await #expect(throws: CapacityError.reservationExpired(id: short.id)) {
            try await registry.confirm(reservationID: short.id)
        }
        #expect(try await registry.release(reservationID: short.id) == false)
        let next = try await reserved(registry, client: "other")
        #expect(next.slot == short.slot)
        _ = try await registry.confirm(reservationID: long.id)
        // Confirmed calls never expire by time.
        try await harness.advance(past: harness.short)
        #expect(try await registry.worker("w1")?.active == 1)
    }

    static func freeSlotsBeforeExpiredHolds(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 3))
        let first = try await reserved(registry, hold: harness.short)
        let second = try await reserved(registry, hold: harness.short)
        #expect(first.slot == 0 && second.slot == 1)
        try await harness.advance(past: harness.short)
        // Slot 2 was never used: it is taken before the expired holds, which go oldest first.
        let third = try await reserved(registry)
        let fourth = try await reserved(registry)
        let fifth = try await reserved(registry)
        #expect(third.slot == 2)
        #expect(fourth.slot == first.slot)
        #expect(fifth.slot == second.slot)
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))
    }

    static func drainStopsNewReservationsOnly(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 2))
        try await registry.register(worker("w2", slots: 2))
        let onW1 = try await reserved(registry)
        #expect(onW1.workerID == "w1")
        try await registry.drain(workerID: "w1")
        #expect(try await registry.worker("w1")?.state == .draining)

        // Existing reservations continue and can still be confirmed; new ones avoid w1.
        _ = try await registry.confirm(reservationID: onW1.id)
        let a = try await reserved(registry)
        let b = try await reserved(registry)
        #expect(a.workerID == "w2" && b.workerID == "w2")
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))
        #expect(try await registry.worker("w1")?.active == 1)

        try await registry.undrain(workerID: "w1")
        #expect(try await registry.worker("w1")?.state == .available)
        #expect(try await reserved(registry).workerID == "w1")

        try await registry.drain(workerID: "w2")
        try await registry.drain(workerID: "w1")
        #expect(try await reserve(registry) == .noCapacity(.noEligibleWorker))
        await #expect(throws: CapacityError.workerNotFound(workerID: "nope")) {
            try await registry.drain(workerID: "nope")
        }
        // Registering again (a restarted worker) resets the drain flag to the registration's.
        try await registry.register(worker("w2", slots: 2))
        #expect(try await registry.worker("w2")?.state == .available)
    }

    static func workerWithoutHeartbeatIsGone(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("a-short", slots: 1, ttl: harness.short))
        try await registry.register(worker("b-long", slots: 1, ttl: .seconds(120)))
        let onShort = try await reserved(registry)
        #expect(onShort.workerID == "a-short")
        _ = try await registry.confirm(reservationID: onShort.id)

        // a-short stops heartbeating; b-long is fine.
        try await harness.advance(past: harness.short)
        #expect(try await registry.worker("a-short")?.state == .expired)
        #expect(try await registry.worker("b-long")?.state == .available)
        #expect(try await reserved(registry).workerID == "b-long")
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))

        // A worker that comes back with a heartbeat is offered again and still holds its call.
        let lease = try await registry.heartbeat(workerID: "a-short")
        let revived = try #require(try await registry.worker("a-short"))
        #expect(revived.state == .available && revived.active == 1 && revived.leaseExpiresAt == lease)
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))

        await #expect(throws: CapacityError.workerNotFound(workerID: "ghost")) {
            try await registry.heartbeat(workerID: "ghost")
        }
        // A worker dead for longer than the grace period is removed with its calls.
        try await harness.advance(past: harness.short)
        #expect(try await registry.removeExpiredWorkers(gracePeriod: .seconds(60)) == [])
        try await registry.heartbeat(workerID: "b-long")
        try await harness.advance(past: .milliseconds(150))
        #expect(try await registry.removeExpiredWorkers(gracePeriod: .milliseconds(100)) == ["a-short"])
        #expect(try await registry.workers().map(\.workerID) == ["b-long"])
        #expect(try await registry.release(reservationID: onShort.id) == false)
    }

    static func quotasLimitClientsAndCampaigns(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 10))
        try await registry.setQuota(.client("acme"), maxConcurrent: 2)
        try await registry.setQuota(.campaign("spring"), maxConcurrent: 3)
        #expect(try await registry.quotas() == [.client("acme"): 2, .campaign("spring"): 3])

        let a1 = try await reserved(registry, client: "acme", campaign: "spring")
        _ = try await reserved(registry, client: "acme", campaign: "spring", hold: harness.short)
        #expect(try await reserve(registry, client: "acme") == .noCapacity(.clientQuotaReached(clientID: "acme", limit: 2)))
        _ = try await reserved(registry, client: "globex", campaign: "spring")
        #expect(try await reserve(registry, client: "initech", campaign: "spring")
            == .noCapacity(.campaignQuotaReached(campaignID: "spring", limit: 3)))
        // Other campaigns and clients are not limited.
        _ = try await reserved(registry, client: "initech", campaign: "autumn")
        #expect(try await registry.usage() == CapacityUsage(
            byClient: ["acme": 2, "globex": 1, "initech": 1], byCampaign: ["spring": 3, "autumn": 1]))

        // Releasing frees quota; an expired hold frees quota too.
        #expect(try await registry.release(reservationID: a1.id))
        let a3 = try await reserved(registry, client: "acme", campaign: "spring")
        _ = try await registry.confirm(reservationID: a3.id)
        #expect(try await reserve(registry, client: "acme") == .noCapacity(.clientQuotaReached(clientID: "acme", limit: 2)))
        try await harness.advance(past: harness.short)
        _ = try await reserved(registry, client: "acme", campaign: "spring")

        // A zero quota blocks; removing the quota lifts the limit.
        try await registry.setQuota(.client("blocked"), maxConcurrent: 0)
        #expect(try await reserve(registry, client: "blocked") == .noCapacity(.clientQuotaReached(clientID: "blocked", limit: 0)))
        try await registry.setQuota(.client("acme"), maxConcurrent: nil)
        _ = try await reserved(registry, client: "acme")
        #expect(try await registry.quotas() == [.client("blocked"): 0, .campaign("spring"): 3])
        await #expect(throws: CapacityError.self) {
            try await registry.setQuota(.client("acme"), maxConcurrent: -1)
        }
    }

    static func reRegisterReleaseAllAndDeregister(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        try await registry.register(worker("w1", slots: 3))
        var ids: [UUID] = []
        for _ in 0..<3 { ids.append(try await reserved(registry).id) }
        _ = try await registry.confirm(reservationID: ids[2])

        // Shrinking keeps the calls; nothing new is offered until usage drops below the new count.
        try await registry.register(worker("w1", slots: 1))
        var status = try #require(try await registry.worker("w1"))
        #expect(status.slots == 1 && status.used == 3 && status.free == 0)
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))

        // A restarted worker frees what it held.
        #expect(try await registry.releaseAll(workerID: "w1") == 3)
        status = try #require(try await registry.worker("w1"))
        #expect(status.used == 0 && status.free == 1)
        await #expect(throws: CapacityError.reservationNotFound(id: ids[2])) {
            try await registry.confirm(reservationID: ids[2])
        }
        // Growing adds slots.
        try await registry.register(worker("w1", slots: 4))
        for _ in 0..<4 { _ = try await reserved(registry) }
        #expect(try await reserve(registry) == .noCapacity(.allSlotsBusy))

        #expect(try await registry.deregister(workerID: "w1"))
        #expect(try await registry.deregister(workerID: "w1") == false)
        #expect(try await registry.workers().isEmpty)
        #expect(try await reserve(registry) == .noCapacity(.noEligibleWorker))
        await #expect(throws: CapacityError.workerNotFound(workerID: "w1")) {
            try await registry.releaseAll(workerID: "w1")
        }
    }

    static func badInputIsATypedError(_ harness: some RegistryHarness) async throws {
        let registry = harness.registry
        await #expect(throws: CapacityError.invalidArgument("workerID must not be empty")) {
            try await registry.register(worker("", slots: 1))
        }
        await #expect(throws: CapacityError.self) {
            try await registry.register(worker("w", slots: -1))
        }
        await #expect(throws: CapacityError.self) {
            try await registry.register(worker("w", slots: 1, ttl: .zero))
        }
        await #expect(throws: CapacityError.invalidArgument("clientID must not be empty")) {
            try await registry.reserve(ReservationRequest(clientID: ""))
        }
        await #expect(throws: CapacityError.self) {
            try await registry.reserve(ReservationRequest(clientID: "acme", hold: .zero))
        }
        #expect(try await registry.workers().isEmpty)
    }
}
