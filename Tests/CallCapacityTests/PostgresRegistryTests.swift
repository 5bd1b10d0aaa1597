import CallCapacity
import Foundation
import Testing

/// The shared behaviour suite against ``PostgresCapacityRegistry`` on a real server.
@Suite("PostgreSQL registry", .timeLimit(.minutes(2)), .enabled(if: TestDatabase.shouldRun, TestDatabase.skipReason))
struct PostgresRegistryTests {
    @Test func reserveConfirmRelease() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.reserveConfirmRelease($0) } }
    @Test func fullFleetAnswersNoCapacity() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.fullFleetAnswersNoCapacity($0) } }
    @Test func labelsSelectWorkers() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.labelsSelectWorkers($0) } }
    @Test func unconfirmedReservationsExpire() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.unconfirmedReservationsExpire($0) } }
    @Test func freeSlotsBeforeExpiredHolds() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.freeSlotsBeforeExpiredHolds($0) } }
    @Test func drainStopsNewReservationsOnly() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.drainStopsNewReservationsOnly($0) } }
    @Test func workerWithoutHeartbeatIsGone() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.workerWithoutHeartbeatIsGone($0) } }
    @Test func quotasLimitClientsAndCampaigns() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.quotasLimitClientsAndCampaigns($0) } }
    @Test func reRegisterReleaseAllAndDeregister() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.reRegisterReleaseAllAndDeregister($0) } }
    @Test func badInputIsATypedError() async throws { try await TestDatabase.withRegistry { try await RegistryBehaviours.badInputIsATypedError($0) } }

    @Test("expiry uses the database clock, not the caller's")
    func expiryUsesDatabaseClock() async throws {
        try await TestDatabase.withRegistry { harness in
            try await harness.registry.register(RegistryBehaviours.worker("w1", slots: 1))
            let before = try await harness.databaseNow()
            let reservation = try await RegistryBehaviours.reserved(harness.registry, hold: .seconds(30))
            let after = try await harness.databaseNow()
            // expires_at = database time at reservation + hold, independent of this process's clock.
            #expect(reservation.expiresAt >= before.addingTimeInterval(30))
            #expect(reservation.expiresAt <= after.addingTimeInterval(30))
            // No API takes a time from the caller, so the slot stays held whatever the caller's clock says.
            #expect(try await RegistryBehaviours.reserve(harness.registry) == .noCapacity(.allSlotsBusy))
        }
    }
}
