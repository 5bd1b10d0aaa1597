import CallCapacity
import CallEngine
import CallTesting
import Foundation
import Logging
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `call-worker` binary with `CAPACITY_DATABASE_URL` against the real PostgreSQL
/// server `.ci/postgres.sh` starts: it migrates and registers itself, confirms a dialler's
/// reservation when the stream starts, marks itself draining on SIGTERM, releases the call when
/// the drain ends it, and deregisters before it exits 0.
/// The PostgreSQL server the tests run against, from `CALL_CAPACITY_DATABASE_URL`.
enum FleetTestDatabase {
    static let urlVariable = "CALL_CAPACITY_DATABASE_URL"
    static var url: String? {
        ProcessInfo.processInfo.environment[urlVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// With a database URL, or on CI (where a missing one fails the test).
    static var shouldRun: Bool {
        url != nil || ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    static let skipReason: Comment = "CALL_CAPACITY_DATABASE_URL is not set: fleet worker process test skipped"
}

@Suite(.timeLimit(.minutes(2)), .enabled(if: FleetTestDatabase.shouldRun, FleetTestDatabase.skipReason))
struct WorkerFleetProcessTests {
    @Test func workerRegistersConfirmsDrainsReleasesAndDeregisters() async throws {
        let url = try #require(FleetTestDatabase.url, "CI=true but \(FleetTestDatabase.urlVariable) is not set")
        var logger = Logger(label: "fleet-process-test")
        logger.logLevel = .critical
        let client = PostgresClient(
            configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url, maximumConnections: 2),
            backgroundLogger: logger
        )
        let schema = "worker_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let registry = try PostgresCapacityRegistry(client: client, schema: String(schema), logger: logger)
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await run(url: url, schema: String(schema), registry: registry, spool: spool)
            } catch {
                _ = try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
                throw error
            }
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
        }
    }

    private func run(url: String, schema: String, registry: PostgresCapacityRegistry, spool: URL) async throws {
        try await OpenAIWireServer.withRunningServer { wire in
            let worker = try ChildProcess(environment: [
                "HOST": "127.0.0.1", "PORT": "0", "TWILIO_SIGNATURES": "off",
                "OPENAI_BASE_URL": wire.baseURL, "OPENAI_API_KEY": "sk-test",
                "MAX_CONCURRENT_CALLS": "2", "DRAIN_BUDGET": "5", "SPOOL_DIR": spool.path,
                "CAPACITY_DATABASE_URL": url, "CAPACITY_SCHEMA": schema,
                "WORKER_ID": "proc-w1", "WORKER_STREAM_URL": "wss://proc-w1.example.com/ws",
                "WORKER_LABELS": "region=test", "REGISTRY_TTL": "6",
            ])
            let started = await worker.waitFor(["listening", "registered in the capacity registry"])
            let port = started["listening"].flatMap { ChildProcess.field("port", in: $0) }.flatMap(Int.init)
            let listening = try #require(port, "worker did not start: \(worker.output)")
            #expect(started["registered in the capacity registry"] != nil)
            #expect(!worker.output.joined().contains(":capacity@"), "the database password must not be logged")

            let workers = try await registry.workers()
            #expect(workers.map(\.workerID) == ["proc-w1"])
            #expect(workers.first?.slots == 2)
            #expect(workers.first?.labels == ["region": "test"])
            #expect(workers.first?.state == .available)

            // A dialler reserves a slot and places the call with the reservation id.
            let reservation = try #require(try await registry.reserve(ReservationRequest(clientID: "acme", hold: .seconds(30))).reservation)
            #expect(reservation.streamURL == "wss://proc-w1.example.com/ws")
            let (confirmed, confirmedContinuation) = AsyncStream.makeStream(of: Void.self)
            let call = Task {
                try await TwilioWebSocketCaller.call(
                    url: "ws://127.0.0.1:\(listening)/ws/demo", callSid: TestSID.call(9901),
                    parameters: ["reservation_id": reservation.id.uuidString]
                ) { caller in
                    caller.connectedAndStart()
                    let greeted = try await caller.waitInSilence { $0.echoes.count >= 1 }
                    #expect(greeted)
                    confirmedContinuation.yield()
                    try await caller.play(SyntheticCallerAudio.silence(seconds: 30))
                    #expect(caller.isServerClosed)
                }
            }
            for await _ in confirmed { break }
            // The worker logs the confirmation once the registry has it.
            #expect(await worker.waitFor(["reservation confirmed"])["reservation confirmed"] != nil)
            #expect(try await registry.worker("proc-w1")?.active == 1)

            worker.signal(SIGTERM)
            await worker.waitFor(["marked draining in the capacity registry"])
            let draining = try await registry.worker("proc-w1")
            #expect(draining?.state == .draining)
            #expect(draining?.active == 1, "the call continues while the worker drains")
            let refused = try await registry.reserve(ReservationRequest(clientID: "acme"))
            #expect(refused.reservation == nil)

            _ = try await call.value
            #expect(await worker.exitStatus() == 0)
            #expect(worker.logged("left the capacity registry"))
            // Released at the end of the call, then deregistered: nothing is left in the registry.
            #expect(try await registry.workers().isEmpty)
            #expect(try await registry.usage().count(for: .client("acme")) == 0)
            let confirmLine = worker.output.first { ChildProcess.field("msg", in: $0) == "reservation confirmed" }
            #expect(confirmLine.flatMap { ChildProcess.field("call_sid", in: $0) } == TestSID.call(9901))
        }
    }
}
