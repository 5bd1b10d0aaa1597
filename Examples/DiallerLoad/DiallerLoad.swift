import ArgumentParser
import CallCapacity
import CallDialler
import CallEngine
import Foundation
import Logging
import PostgresNIO
import TwilioREST

// dialler-load: how many reservations + call placements per second the dialler sustains against
// the capacity registry on PostgreSQL.
//
// --carrier instant (default): a placer that answers at once and a "worker" that ends each call
// at once with a result (handed to the dialler in-process, no HTTP).
//
// --carrier twilio-fake: the production placer (TwilioCallPlacer + TwilioRESTClient) creates
// every call over HTTP at a local TwilioFake, which rings and answers busy / no-answer (no media
// stream) and posts signed status callbacks to the dialler's real HTTP receiver, which finishes
// the lead (one attempt per lead) and releases its reservation. Calls are counted by the fake.

@main
struct DiallerLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dialler-load", abstract: "Dialler throughput against PostgreSQL.")

    enum Carrier: String, ExpressibleByArgument, CaseIterable {
        case instant
        case twilioFake = "twilio-fake"
    }

    enum FakeAnswer: String, ExpressibleByArgument, CaseIterable {
        case busy
        case noAnswer = "no-answer"
    }

    @Option(help: "PostgreSQL URL (default: $CALL_CAPACITY_DATABASE_URL).") var databaseURL: String?
    @Option var leads = 3000
    @Option var workers = 10
    @Option var slots = 50
    @Option var campaigns = 4
    @Option(help: "instant: in-process placer; twilio-fake: TwilioCallPlacer over HTTP against a local TwilioFake.")
    var carrier: Carrier = .instant
    @Option(help: "How the fake's callees answer (twilio-fake).") var fakeAnswer: FakeAnswer = .busy
    @Option(help: "The fake's ring time per step in ms (initiated -> ringing -> answer) (twilio-fake).") var ringMilliseconds = 10
    @Option(help: "Status callback events requested per call, comma-separated (twilio-fake; call-dialler serve asks for all four).")
    var statusEvents = "initiated,ringing,answered,completed"

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["CALL_CAPACITY_DATABASE_URL"] else {
            throw ValidationError("set --database-url or CALL_CAPACITY_DATABASE_URL")
        }
        var logger = Logger(label: "dialler-load")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url, maximumConnections: 20),
                                    backgroundLogger: logger)
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let (leads, workers, slots, campaigns, carrier) = (self.leads, self.workers, self.slots, self.campaigns, self.carrier)
        let (fakeAnswer, ring) = (self.fakeAnswer, Duration.milliseconds(max(0, ringMilliseconds)))
        let events = try statusEvents.split(separator: ",").map { name in
            guard let event = TwilioCreateCallRequest.StatusEvent(rawValue: String(name)) else { throw ValidationError("unknown status event \(name)") }
            return event
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = try DiallerStore(client: client, schema: "dl_load_\(suffix)", logger: logger)
            let registry = try PostgresCapacityRegistry(client: client, schema: "dlcc_load_\(suffix)", logger: logger)
            try await registry.migrate()
            try await store.migrate()
            for index in 0..<workers {
                try await registry.register(WorkerRegistration(workerID: "w\(index)", streamURL: "wss://w\(index).load/ws", slots: slots, ttl: .seconds(600)))
            }
            for campaign in 0..<campaigns {
                // One attempt per lead: a busy / no-answer ends the lead (the benchmark is about placement).
                let retry = carrier == .instant ? RetryPolicy() : RetryPolicy(maxAttempts: 1)
                try await CampaignSetup.apply(Campaign(id: "c\(campaign)", clientID: "load", botID: "bot", fromNumber: "+15000000000",
                                                       account: "AC\(campaign)", retry: retry), store: store, registry: registry)
                let records = (0..<(leads / campaigns)).map { LeadRecord(id: "l\($0)", phone: "+1\(campaign)\(String(format: "%09d", $0))", priority: $0 % 5) }
                try await store.importLeads(records, into: "c\(campaign)")
            }
            let campaignIDs = (0..<campaigns).map { "c\($0)" }
            switch carrier {
            case .instant:
                try await Self.runInstant(store: store, registry: registry, campaignIDs: campaignIDs, logger: logger,
                                          label: "\(leads) leads, \(workers) workers x \(slots) slots, \(campaigns) campaigns")
            case .twilioFake:
                try await FakeCarrierRun.run(
                    store: store, registry: registry, campaignIDs: campaignIDs, answer: fakeAnswer == .busy ? .busy : .noAnswer, ringTime: ring,
                    statusEvents: events, logger: logger,
                    label: "\(leads) leads, \(workers) workers x \(slots) slots, \(campaigns) campaigns, \(fakeAnswer.rawValue), callbacks: \(statusEvents)")
            }
            for schema in ["dl_load_\(suffix)", "dlcc_load_\(suffix)"] {
                try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
            }
        }
    }

    static func runInstant(store: DiallerStore, registry: PostgresCapacityRegistry, campaignIDs: [String], logger: Logger, label: String) async throws {
        let placer = InstantPlacer()
        let dialler = Dialler(
            store: store, registry: registry, placer: placer, pacer: AccountPacer(defaultRate: 1_000_000, burst: 1000, logger: logger),
            configuration: DiallerConfiguration(publicURL: "https://load.test", idleInterval: .milliseconds(5), batchSize: 256),
            logger: logger)
        await placer.attach(dialler)
        let start = ContinuousClock.now
        let runner = Task { await dialler.run() }
        for id in campaignIDs { await dialler.waitUntilFinished(campaignID: id) }
        let elapsed = ContinuousClock.now - start
        await dialler.beginDrain()
        await runner.value
        let statistics = await dialler.currentStatistics
        let seconds = elapsed / .seconds(1)
        print(String(format: "dialler-load: %@: %d reservations + placements in %.2f s = %.0f/s (finalized %d)",
                     label, statistics.placed, seconds, Double(statistics.placed) / seconds, statistics.finalized))
    }
}

/// Answers every call at once; the "worker" ends it at once with a result.
actor InstantPlacer: OutboundCallPlacer {
    private var dialler: Dialler?
    private var counter = 0

    func attach(_ dialler: Dialler) { self.dialler = dialler }

    func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        counter += 1
        let sid = "CA" + String(format: "%032x", counter)
        if let dialler {
            let now = Date()
            let result = CallResult(
                identity: CallIdentity(callID: sid, streamID: "MZ\(counter)", botID: "bot", accountID: request.account, from: request.from,
                                       to: request.to, customParameters: request.streamParameters),
                startedAt: now, endedAt: now, endReason: .callerHungUp, transcript: [], lead: [:], turns: [], usage: CallUsage(),
                estimatedCost: 0, errors: [], providers: [:], phases: [])
            Task { _ = await dialler.handleResult(result) }
        }
        return PlacedCall(callSID: sid)
    }
}
