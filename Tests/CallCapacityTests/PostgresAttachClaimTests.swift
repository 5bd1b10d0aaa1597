import CallCapacity
import Foundation
import PostgresNIO
import Testing

/// `/attach` claims on PostgreSQL: one claim per reservation across every caller, the placed
/// call's SID kept, and the migration that adds them to an existing registry.
@Suite("PostgreSQL attach claims", .timeLimit(.minutes(2)), .enabled(if: TestDatabase.shouldRun, TestDatabase.skipReason))
struct PostgresAttachClaimTests {
    @Test("a claim is taken once; a repeat sees it in progress, then the recorded call; another request is a conflict")
    func claimRecordReplayConflict() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.postgres
            let id = UUID()
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "call A", workerID: "w1") == .claimed)
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "call A", workerID: "w2") == .inProgress(workerID: "w1"))
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "call B", workerID: "w2") == .conflict)
            #expect(try await registry.recordAttach(reservationID: id, callSID: "CA1"))
            // A second record changes nothing (the first call stays the reservation's call).
            #expect(try await registry.recordAttach(reservationID: id, callSID: "CA2") == false)
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "call A", workerID: "w3") == .placed(callSID: "CA1", workerID: "w1"))
            // A placed claim is never given up.
            try await registry.abandonAttach(reservationID: id)
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "call A", workerID: "w3") == .placed(callSID: "CA1", workerID: "w1"))
        }
    }

    @Test("an abandoned claim (the carrier refused the call) can be claimed again")
    func abandonedClaimIsFree() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.postgres
            let id = UUID()
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "f", workerID: "w1") == .claimed)
            try await registry.abandonAttach(reservationID: id)
            #expect(try await registry.claimAttach(reservationID: id, fingerprint: "f", workerID: "w2") == .claimed)
        }
    }

    @Test("16 concurrent claims of one reservation from 4 workers: exactly one is claimed")
    func concurrentClaimsOneWinner() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.postgres
            for _ in 0..<5 {
                let id = UUID()
                let outcomes = try await withThrowingTaskGroup(of: AttachClaim.self) { group in
                    for index in 0..<16 {
                        group.addTask { try await registry.claimAttach(reservationID: id, fingerprint: "same", workerID: "w\(index % 4)") }
                    }
                    var all: [AttachClaim] = []
                    for try await outcome in group { all.append(outcome) }
                    return all
                }
                #expect(outcomes.filter { $0 == .claimed }.count == 1)
                #expect(outcomes.allSatisfy { if case .inProgress = $0 { true } else { $0 == .claimed } })
            }
        }
    }

    @Test("old claims are pruned")
    func prune() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.postgres
            let old = UUID()
            let fresh = UUID()
            #expect(try await registry.claimAttach(reservationID: old, fingerprint: "f", workerID: "w") == .claimed)
            #expect(try await registry.claimAttach(reservationID: fresh, fingerprint: "f", workerID: "w") == .claimed)
            _ = try await harness.query("UPDATE $schema.attachments SET claimed_at = claimed_at - interval '2 days' WHERE reservation_id = '\(old.uuidString)'")
            #expect(try await registry.pruneAttachClaims(olderThan: .seconds(86_400)) == 1)
            #expect(try await registry.claimAttach(reservationID: old, fingerprint: "f", workerID: "w") == .claimed)
            #expect(try await registry.claimAttach(reservationID: fresh, fingerprint: "f", workerID: "w") == .inProgress(workerID: "w"))
        }
    }

    @Test("a registry migrated before attach claims existed gets them by migrate(), with its workers and slots kept")
    func migrationOnAnExistingRegistry() async throws {
        try await TestDatabase.withRegistry { harness in
            let registry = harness.postgres
            try await registry.register(RegistryBehaviours.worker("w1", slots: 2))
            // Back to the registry as version 4 left it.
            _ = try await harness.query("DROP TABLE $schema.attachments")
            _ = try await harness.query("DELETE FROM $schema.schema_migrations WHERE version = 5")
            #expect(try await registry.migrate() == [5])
            #expect(try await registry.migrate() == [])
            #expect(try await registry.worker("w1")?.slots == 2)
            #expect(try await registry.claimAttach(reservationID: UUID(), fingerprint: "f", workerID: "w1") == .claimed)
        }
    }
}
