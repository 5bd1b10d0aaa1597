import CallCapacity
import CallResults
import CallTesting
import CallWorker
import Foundation
import Logging
import PostgresNIO
import Testing
import TwilioREST

/// `POST /attach` idempotency kept in the PostgreSQL capacity registry: a repeat after a worker
/// restart, or sent to another worker of the fleet, answers with the first call and places no
/// second one at the Twilio fake.
@Suite(.timeLimit(.minutes(2)), .enabled(if: FleetTestDatabase.shouldRun, FleetTestDatabase.skipReason))
struct AttachRegistryIdempotencyTests {
    typealias Attach = AttachAndVoicemailTests
    typealias Outbound = OutboundCallTests

    /// A fresh worker instance `workerID` on `registry`, placing through `fake`.
    static func worker(_ workerID: String, registry: PostgresCapacityRegistry, fake: TwilioFake, logger: Logger) -> WorkerHarness {
        let fleet = FleetMembership(
            registry: registry,
            registration: WorkerRegistration(workerID: workerID, streamURL: "wss://\(Outbound.publicHost)/ws", slots: 2, ttl: .seconds(60)),
            logger: logger)
        return WorkerHarness(
            maximumConcurrentCalls: 2, twilioAuthToken: fake.configuration.authToken, publicHost: Outbound.publicHost,
            fleet: fleet,
            twilio: WorkerTwilioSettings(
                credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
                rest: TwilioRESTConfiguration(baseURL: fake.baseURL, requestTimeout: .seconds(5)), fromNumber: "+15017122661"),
            attachSecret: Outbound.attachSecret, logger: logger)
    }

    /// One signed attach: status, call SID, replayed.
    static func attach(port: Int, body: String) async throws -> (status: Int, sid: String?, replayed: Bool?) {
        let (status, object) = try await Attach.attach(port: port, body: body)
        return (status, object["call_sid"] as? String, object["replayed"] as? Bool)
    }

    static func creates(_ fake: TwilioFake, to number: String) -> [TwilioFakeRequest] {
        fake.requests.filter { request in
            request.method == "POST" && request.path.hasSuffix("/Calls.json") && request.responseStatus == 201
                && request.form.contains { $0.name == "To" && $0.value == number }
        }
    }

    @Test func aRepeatAfterARestartOrOnAnotherWorkerReturnsTheFirstCallAndPlacesNoSecond() async throws {
        let url = try #require(FleetTestDatabase.url, "CI=true but \(FleetTestDatabase.urlVariable) is not set")
        var logger = Logger(label: "attach-registry-test")
        logger.logLevel = .critical
        let client = PostgresClient(
            configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url, maximumConnections: 4), backgroundLogger: logger)
        let schema = "attach_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let registry = try PostgresCapacityRegistry(client: client, schema: String(schema), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                try await registry.migrate()
                try await Self.run(registry: registry, logger: logger)
            } catch {
                _ = try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
                throw error
            }
            _ = try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
        }
    }

    static func run(registry: PostgresCapacityRegistry, logger: Logger) async throws {
        try await TwilioFake.withRunningFake { fake in
            // Busy: the call ends without a media stream; its callbacks go to the running worker.
            fake.setDefaultBehavior(.busy)
            let number = "+15558675310"
            let body = Attach.attachBody(reservation: UUID(), to: number)

            let first = try await worker("w-a", registry: registry, fake: fake, logger: logger).run { port in
                fake.route(host: Outbound.publicHost, toPort: port)
                return try await attach(port: port, body: body)
            }
            #expect(first.status == 201 && first.replayed == false)
            let sid = try #require(first.sid)
            #expect(creates(fake, to: number).count == 1)

            // The same worker restarted (a new instance: an empty in-memory ledger), then another worker.
            for workerID in ["w-a", "w-b"] {
                let repeated = try await worker(workerID, registry: registry, fake: fake, logger: logger).run { port in
                    fake.route(host: Outbound.publicHost, toPort: port)
                    let again = try await attach(port: port, body: body)
                    // Another call under the same reservation id: refused.
                    let other = try await attach(port: port, body: body.replacingOccurrences(of: number, with: "+15558675399"))
                    return (again, other.status)
                }
                #expect(repeated.0.status == 200 && repeated.0.replayed == true, "\(workerID)")
                #expect(repeated.0.sid == sid, "\(workerID)")
                #expect(repeated.1 == 409, "\(workerID)")
            }
            #expect(creates(fake, to: number).count == 1, "one call at the fake for the reservation")
            #expect(creates(fake, to: "+15558675399").isEmpty)

            // The same attach sent to two running workers at once: one call between them.
            let racing = "+15558675320"
            let raceBody = Attach.attachBody(reservation: UUID(), to: racing)
            let answers = try await worker("w-c", registry: registry, fake: fake, logger: logger).run { portC in
                try await worker("w-d", registry: registry, fake: fake, logger: logger).run { portD in
                    fake.route(host: Outbound.publicHost, toPort: portD)
                    async let c = attach(port: portC, body: raceBody)
                    async let d = attach(port: portD, body: raceBody)
                    return try await [c, d]
                }
            }
            #expect(creates(fake, to: racing).count == 1)
            #expect(answers.filter { $0.status == 201 }.count == 1, "\(answers.map(\.status))")
            // The other one replayed the same call, or was refused while the first was placing it.
            let placedSID = answers.first { $0.status == 201 }?.sid
            #expect(answers.allSatisfy { $0.status == 201 || ($0.status == 200 && $0.sid == placedSID) || $0.status == 503 })
        }
    }
}
