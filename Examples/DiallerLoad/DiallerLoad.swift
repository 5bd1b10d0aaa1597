import ArgumentParser
import CallCapacity
import CallDialler
import CallEngine
import Foundation
import Logging
import PostgresNIO

// dialler-load: how many reservations + call placements per second the dialler sustains against
// the capacity registry on PostgreSQL, with a placer that answers at once and a "worker" that
// ends each call at once with a result (handed to the dialler in-process, no HTTP).

@main
struct DiallerLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dialler-load", abstract: "Dialler throughput against PostgreSQL.")

    @Option(help: "PostgreSQL URL (default: $CALL_CAPACITY_DATABASE_URL).") var databaseURL: String?
    @Option var leads = 3000
    @Option var workers = 10
    @Option var slots = 50
    @Option var campaigns = 4

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["CALL_CAPACITY_DATABASE_URL"] else {
            throw ValidationError("set --database-url or CALL_CAPACITY_DATABASE_URL")
        }
        var logger = Logger(label: "dialler-load")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url, maximumConnections: 20),
                                    backgroundLogger: logger)
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let (leads, workers, slots, campaigns) = (self.leads, self.workers, self.slots, self.campaigns)
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
                try await CampaignSetup.apply(Campaign(id: "c\(campaign)", clientID: "load", botID: "bot", fromNumber: "+15000000000",
                                                       account: "AC\(campaign)"), store: store, registry: registry)
                let records = (0..<(leads / campaigns)).map { LeadRecord(id: "l\($0)", phone: "+1\(campaign)\(String(format: "%09d", $0))", priority: $0 % 5) }
                try await store.importLeads(records, into: "c\(campaign)")
            }
            let placer = InstantPlacer()
            let dialler = Dialler(
                store: store, registry: registry, placer: placer, pacer: AccountPacer(defaultRate: 1_000_000, burst: 1000, logger: logger),
                configuration: DiallerConfiguration(publicURL: "https://load.test", idleInterval: .milliseconds(5), batchSize: 256),
                logger: logger)
            await placer.attach(dialler)
            let start = ContinuousClock.now
            let runner = Task { await dialler.run() }
            for campaign in 0..<campaigns { await dialler.waitUntilFinished(campaignID: "c\(campaign)") }
            let elapsed = ContinuousClock.now - start
            await dialler.beginDrain()
            await runner.value
            let statistics = await dialler.currentStatistics
            let seconds = elapsed / .seconds(1)
            print(String(format: "dialler-load: %d leads, %d workers x %d slots, %d campaigns: %d reservations + placements in %.2f s = %.0f/s (finalized %d)",
                         leads, workers, slots, campaigns, statistics.placed, seconds, Double(statistics.placed) / seconds, statistics.finalized))
            for schema in ["dl_load_\(suffix)", "dlcc_load_\(suffix)"] {
                try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"), logger: logger)
            }
        }
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
