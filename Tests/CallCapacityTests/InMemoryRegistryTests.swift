import CallCapacity
import Foundation
import Testing

/// The shared behaviour suite against ``InMemoryCapacityRegistry`` with a manual clock.
@Suite("In-memory registry", .timeLimit(.minutes(2)))
struct InMemoryRegistryTests {
    @Test func reserveConfirmRelease() async throws { try await RegistryBehaviours.reserveConfirmRelease(InMemoryHarness()) }
    @Test func fullFleetAnswersNoCapacity() async throws { try await RegistryBehaviours.fullFleetAnswersNoCapacity(InMemoryHarness()) }
    @Test func labelsSelectWorkers() async throws { try await RegistryBehaviours.labelsSelectWorkers(InMemoryHarness()) }
    @Test func unconfirmedReservationsExpire() async throws { try await RegistryBehaviours.unconfirmedReservationsExpire(InMemoryHarness()) }
    @Test func freeSlotsBeforeExpiredHolds() async throws { try await RegistryBehaviours.freeSlotsBeforeExpiredHolds(InMemoryHarness()) }
    @Test func drainStopsNewReservationsOnly() async throws { try await RegistryBehaviours.drainStopsNewReservationsOnly(InMemoryHarness()) }
    @Test func workerWithoutHeartbeatIsGone() async throws { try await RegistryBehaviours.workerWithoutHeartbeatIsGone(InMemoryHarness()) }
    @Test func quotasLimitClientsAndCampaigns() async throws { try await RegistryBehaviours.quotasLimitClientsAndCampaigns(InMemoryHarness()) }
    @Test func reRegisterReleaseAllAndDeregister() async throws { try await RegistryBehaviours.reRegisterReleaseAllAndDeregister(InMemoryHarness()) }
    @Test func badInputIsATypedError() async throws { try await RegistryBehaviours.badInputIsATypedError(InMemoryHarness()) }

    @Test("expiry happens exactly at the hold boundary on the injected clock")
    func expiryBoundary() async throws {
        let harness = InMemoryHarness()
        let registry = harness.registry
        try await registry.register(RegistryBehaviours.worker("w1", slots: 1, ttl: .seconds(10)))
        let reservation = try await RegistryBehaviours.reserved(registry, hold: .seconds(5))
        harness.clock.advance(by: .milliseconds(4_999))
        #expect(try await RegistryBehaviours.reserve(registry) == .noCapacity(.allSlotsBusy))
        harness.clock.advance(by: .milliseconds(1))
        await #expect(throws: CapacityError.reservationExpired(id: reservation.id)) {
            try await registry.confirm(reservationID: reservation.id)
        }
        harness.clock.advance(by: .milliseconds(4_999))
        #expect(try await registry.worker("w1")?.state == .available)
        harness.clock.advance(by: .milliseconds(1))
        #expect(try await registry.worker("w1")?.state == .expired)
    }
}
