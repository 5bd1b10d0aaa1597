// dialler-campaign: issue 16's campaign proof with every part a real process: PostgreSQL (the
// capacity registry and the dialler's tables), provider-fake (OpenAI wire), twilio-fake
// (Twilio's REST wire, scripted answers, signed callbacks, media streams with a scripted
// caller), N call-worker processes in the registry and `call-dialler serve` placing the calls
// through TwilioCallPlacer. One worker is SIGKILLed mid-campaign and one 429 is injected.
// Prints one line per check (PASS/FAIL with figures); exits 1 when a check fails.
//
//   source .ci/postgres.sh; pg_start
//   for p in dialler-campaign twilio-fake call-dialler call-worker provider-fake; do swift build --product $p; done
//   .build/debug/dialler-campaign --database-url "$CALL_CAPACITY_DATABASE_URL"
//
// scripts/dialler-campaign.sh does all of that.

import ArgumentParser
import ExampleSupport
import Foundation
import Logging

@main
struct DiallerCampaign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dialler-campaign",
        abstract: "A campaign through real processes: dialler -> Twilio fake -> call-workers, with a worker killed mid-campaign."
    )

    @Option(help: "PostgreSQL URL (default: $CALL_CAPACITY_DATABASE_URL). The run uses the schemas campaign_capacity and campaign_dialler, dropped first.")
    var databaseURL: String?
    @Option var leads = 200
    @Option var workers = 4
    @Option(help: "MAX_CONCURRENT_CALLS of each worker.") var slots = 5
    @Option(help: "The dialler's calls per second (one account).") var cps = 8.0
    @Option(help: "Seconds a reservation waits for the worker's confirmation.") var holdSeconds = 10
    @Option var maxAttempts = 2
    @Option(help: "Seconds a human keeps listening after speaking before the fake hangs up.") var maxCallSeconds = 3.0
    @Option(help: "Milliseconds from initiated to ringing and from ringing to the answer.") var ringMs = 300
    @Option(help: "Seconds of speech a human says after the greeting.") var speechSeconds = 1.0
    @Option(help: "The workers' REGISTRY_TTL.") var registryTTL = 3
    @Option(help: "Kill the second worker once this many calls were placed (and it has 2+ live calls).") var killAfter = 60
    @Option(help: "Answer one create with 429 once this many calls were placed.") var rateLimitAt = 100
    @Option var retryAfter = 1
    @Option(help: "Give up after this many seconds of campaign.") var timeout = 200
    @Option(help: "Folder of the executables (default: this one's).") var binDir: String?
    @Option(help: "Folder for logs and generated files (default: a new one under /tmp).") var workDir: String?
    @Option var workerLogLevel = "info"

    func run() async throws {
        var logger = Logger(label: "dialler-campaign")
        logger.logLevel = .warning
        let env = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? env["CALL_CAPACITY_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("set --database-url or CALL_CAPACITY_DATABASE_URL (source .ci/postgres.sh; pg_start)")
        }
        let ownDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let work = workDir ?? (NSTemporaryDirectory() + "dialler-campaign-\(ProcessInfo.processInfo.processIdentifier)")
        let settings = RunSettings(
            leads: leads, workers: workers, slots: slots, cps: cps, holdSeconds: holdSeconds, maxAttempts: maxAttempts,
            maxCallSeconds: maxCallSeconds, ringMilliseconds: ringMs, speechSeconds: speechSeconds, registryTTL: registryTTL,
            killAfterPlacements: killAfter, rateLimitAtPlacement: rateLimitAt, retryAfterSeconds: retryAfter, timeoutSeconds: timeout,
            binDir: binDir ?? ownDir, workDir: work, databaseURL: url, workerLogLevel: workerLogLevel)
        for tool in ["call-dialler", "call-worker", "provider-fake", "twilio-fake"] where !FileManager.default.isExecutableFile(atPath: settings.binDir + "/" + tool) {
            throw ValidationError("\(settings.binDir)/\(tool) missing (swift build --product \(tool))")
        }
        try await Self.dropSchemas(url: url, logger: logger)
        print("dialler-campaign: \(leads) leads, \(workers) workers x \(slots) slots, CPS \(cps), logs in \(work)")
        let began = ContinuousClock.now
        let run = CampaignRun(settings: settings, logger: logger)
        var failure: (any Error)?
        do {
            try await run.run()
        } catch {
            failure = error
            print("run failed: \(error)")
        }
        let checks = CampaignChecks(settings: settings, plan: run.plan, record: run.result).all()
        for check in checks { print("\(check.passed ? "PASS" : "FAIL")  \(check.name): \(check.figures)") }
        let failed = checks.filter { !$0.passed }.count + (failure == nil ? 0 : 1)
        print("dialler-campaign: \(checks.count - checks.filter { !$0.passed }.count) of \(checks.count) checks passed in \(CampaignRun.seconds(ContinuousClock.now - began)) s (logs: \(work))")
        if failed > 0 { throw ExitCode(1) }
    }

    /// A fresh start: the run's two schemas are dropped before the processes migrate them.
    static func dropSchemas(url: String, logger: Logger) async throws {
        let database = try CampaignDatabase(url: url, capacitySchema: "campaign_capacity", diallerSchema: "campaign_dialler", logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            try await database.client.query("DROP SCHEMA IF EXISTS campaign_capacity CASCADE", logger: logger)
            try await database.client.query("DROP SCHEMA IF EXISTS campaign_dialler CASCADE", logger: logger)
        }
    }
}
