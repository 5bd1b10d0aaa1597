import AsyncHTTPClient
import CallCapacity
import ExampleSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Settings of one run (the command's options).
struct RunSettings: Sendable {
    var leads: Int
    var workers: Int
    var slots: Int
    var cps: Double
    var holdSeconds: Int
    var maxAttempts: Int
    var maxCallSeconds: Double
    var ringMilliseconds: Int
    var speechSeconds: Double
    var registryTTL: Int
    var killAfterPlacements: Int
    var rateLimitAtPlacement: Int
    var retryAfterSeconds: Int
    var timeoutSeconds: Int
    var binDir: String
    var workDir: String
    var databaseURL: String
    var workerLogLevel: String

    static let accountSID = "AC" + String(repeating: "0", count: 31) + "7"
    static let authToken = "campaign-fake-auth-token"
    static let resultSecret = "campaign-result-secret-0123456789"
    static let fromNumber = "+15017122661"
    static let diallerHost = "dialler.example"
    static func workerHost(_ i: Int) -> String { "worker\(i).example" }
    static func workerID(_ i: Int) -> String { "w\(i)" }
}

/// What happened while the campaign ran, for the checks.
struct RunRecord: Sendable {
    var startedAtMs: Int64 = 0
    var finishedAtMs: Int64 = 0
    var finished = false
    var killedWorker = ""
    var killAtMs: Int64?
    var killPlacements = 0
    var killedSlots: [(reservation: String, state: String)] = []
    var victimExpiredAtMs: Int64?
    var killedLookups: [String: ReservationLookup?] = [:]
    var rateLimitInjectedAtMs: Int64?
    var samples: [RegistrySample] = []
    var sampleErrors = 0
    var placementsSeen = 0
    var stats: FakeStats?
    var leads: [CampaignDatabase.LeadRow] = []
    var attempts: [CampaignDatabase.AttemptRow] = []
    var outcomes: [CampaignDatabase.OutcomeRow] = []
    /// Per process: how it ended (`exit 0`, `signal 9`) and whether it was still running when stopped.
    var endings: [String: (ending: String, runningAtStop: Bool)] = [:]
}

func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// Runs every part as its own process and records what the checks need.
final class CampaignRun: Sendable {
    let settings: RunSettings
    let plan: CampaignPlan
    let logger: Logger
    private let record = NIOLockedValueBox(RunRecord())
    private let children = NIOLockedValueBox<[String: ChildProcess]>([:])

    init(settings: RunSettings, logger: Logger) {
        self.settings = settings
        self.plan = CampaignPlan(total: settings.leads, maxAttempts: settings.maxAttempts)
        self.logger = logger
    }

    var result: RunRecord { record.withLockedValue { $0 } }

    func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    // MARK: Processes

    private func start(
        _ name: String, _ tool: String, _ arguments: [String], environment: [String: String] = [:], marker: String
    ) throws -> ChildProcess {
        let child = try ChildProcess.start(
            name: name, executable: settings.binDir + "/" + tool, arguments: arguments, environment: environment,
            logPath: settings.workDir + "/\(name).log", marker: marker)
        children.withLockedValue { $0[name] = child }
        return child
    }

    /// Runs a `call-dialler` subcommand to its end; throws unless it exits 0.
    private func diallerCommand(_ name: String, _ arguments: [String]) async throws {
        let child = try ChildProcess.start(
            name: name, executable: settings.binDir + "/call-dialler", arguments: arguments + databaseArguments,
            environment: ["LOG_LEVEL": "warning"], logPath: settings.workDir + "/cmd-\(name).log", marker: "\u{0}")
        let status = await child.stop(signal: 0)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: child.logPath, encoding: .utf8)) ?? ""
            throw CampaignError("call-dialler \(arguments.first ?? "") exited \(status): \(log.suffix(400))")
        }
    }

    var capacitySchema: String { "campaign_capacity" }
    var diallerSchema: String { "campaign_dialler" }
    var databaseArguments: [String] {
        ["--database-url", settings.databaseURL, "--schema", diallerSchema, "--capacity-schema", capacitySchema]
    }

    static func port(in line: String, after key: String) -> Int? {
        guard let range = line.range(of: key) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    private func control(_ url: String, _ path: String) async throws {
        var request = HTTPClientRequest(url: url + path)
        request.method = .POST
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { throw CampaignError("twilio-fake control \(path) answered \(response.status.code)") }
    }

    private func stats(_ controlURL: String) async throws -> FakeStats {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: controlURL + "/stats"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return try JSONDecoder().decode(FakeStats.self, from: Data(buffer: body))
    }

    // MARK: The run

    /// Everything, start to stop; the processes are stopped whatever happens.
    func run() async throws {
        do {
            try await runCampaign()
        } catch {
            await stopAll()
            throw error
        }
        await stopAll()
    }

    private func runCampaign() async throws {
        let s = settings
        let fm = FileManager.default
        try fm.createDirectory(atPath: s.workDir, withIntermediateDirectories: true)
        try Data(CampaignPlan.botsJSON.utf8).write(to: URL(fileURLWithPath: s.workDir + "/bots.json"))
        try plan.numbersJSON(ringMilliseconds: s.ringMilliseconds, speechSeconds: s.speechSeconds)
            .write(to: URL(fileURLWithPath: s.workDir + "/numbers.json"))
        for campaign in plan.campaigns {
            try Data(plan.csv(campaign: campaign.id).utf8).write(to: URL(fileURLWithPath: s.workDir + "/leads-\(campaign.id).csv"))
        }
        let begin = ContinuousClock.now

        // The database, for the driver's own reads.
        let database = try CampaignDatabase(url: s.databaseURL, capacitySchema: capacitySchema, diallerSchema: diallerSchema, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            try await runWithDatabase(database, begin: begin)
        }
    }

    private func runWithDatabase(_ database: CampaignDatabase, begin: ContinuousClock.Instant) async throws {
        let s = settings
        // Provider and carrier.
        let provider = try start("provider-fake", "provider-fake", ["--port", "0", "--log-level", "warning"], marker: "listening on http://")
        guard let providerPort = Self.port(in: try await provider.readyLine(), after: "127.0.0.1:") else { throw CampaignError("no provider port") }
        let twilio = try start("twilio-fake", "twilio-fake", [
            "--port", "0", "--control-port", "0", "--account-sid", RunSettings.accountSID, "--auth-token", RunSettings.authToken,
            "--numbers", s.workDir + "/numbers.json", "--max-call-seconds", "\(s.maxCallSeconds)", "--log-level", "error",
        ], marker: "twilio-fake listening on")
        let twilioLine = try await twilio.readyLine()
        guard let restPort = Self.port(in: twilioLine, after: "http://127.0.0.1:"),
              let controlPort = Self.port(in: twilioLine, after: "control http://127.0.0.1:") else { throw CampaignError("no twilio-fake ports in \(twilioLine)") }
        let controlURL = "http://127.0.0.1:\(controlPort)"

        // The dialler (its schema and the registry's are migrated by it).
        let dialler = try start("call-dialler", "call-dialler", [
            "serve", "--host", "127.0.0.1", "--port", "0", "--public-url", "https://\(RunSettings.diallerHost)", "--cps", "\(s.cps)",
            "--hold-seconds", "\(s.holdSeconds)", "--drain-seconds", "20",
        ] + databaseArguments, environment: [
            "TWILIO_ACCOUNT_SID": RunSettings.accountSID, "TWILIO_AUTH_TOKEN": RunSettings.authToken,
            "TWILIO_API_BASE_URL": "http://127.0.0.1:\(restPort)", "RESULT_WEBHOOK_SECRET": RunSettings.resultSecret, "LOG_LEVEL": "info",
        ], marker: "[call_dialler] listening")
        guard let diallerPort = Self.port(in: try await dialler.readyLine(), after: "port=") else { throw CampaignError("no dialler port") }
        try await control(controlURL, "/routes?host=\(RunSettings.diallerHost)&port=\(diallerPort)")

        // The workers.
        var workers: [ChildProcess] = []
        for i in 1...s.workers {
            try FileManager.default.createDirectory(atPath: s.workDir + "/w\(i)/spool", withIntermediateDirectories: true)
            let worker = try start(RunSettings.workerID(i), "call-worker", [], environment: [
                "HOST": "127.0.0.1", "PORT": "0", "PUBLIC_HOST": RunSettings.workerHost(i), "MAX_CONCURRENT_CALLS": "\(s.slots)",
                "SPOOL_DIR": s.workDir + "/w\(i)/spool", "BOTS_FILE": s.workDir + "/bots.json",
                "OPENAI_BASE_URL": "http://127.0.0.1:\(providerPort)/v1", "OPENAI_API_KEY": "sk-dev-local",
                "TWILIO_AUTH_TOKEN": RunSettings.authToken,
                "RESULT_WEBHOOK_URL": "http://127.0.0.1:\(diallerPort)/results", "RESULT_WEBHOOK_ALLOW_HTTP": "1",
                "RESULT_WEBHOOK_SECRET": RunSettings.resultSecret,
                "CAPACITY_DATABASE_URL": s.databaseURL, "CAPACITY_SCHEMA": capacitySchema, "WORKER_ID": RunSettings.workerID(i),
                "REGISTRY_TTL": "\(s.registryTTL)", "DRAIN_BUDGET": "20", "LOG_LEVEL": s.workerLogLevel,
            ], marker: "\"msg\":\"listening\"")
            workers.append(worker)
        }
        for (index, worker) in workers.enumerated() {
            guard let port = Self.port(in: try await worker.readyLine(), after: "\"port\":\"") else { throw CampaignError("no port for worker \(index + 1)") }
            try await control(controlURL, "/routes?host=\(RunSettings.workerHost(index + 1))&port=\(port)")
        }
        try await waitUntil("\(s.workers) workers registered", timeout: .seconds(60)) {
            let registered = try await database.registry.workers()
            return registered.filter { $0.state == .available }.count == s.workers
        }
        say("started: provider-fake :\(providerPort), twilio-fake :\(restPort) (control :\(controlPort)), call-dialler :\(diallerPort), "
            + "\(s.workers) call-workers x \(s.slots) slots, in \(Self.seconds(ContinuousClock.now - begin)) s")

        // Campaigns: created paused, leads imported, then all resumed at once.
        for campaign in plan.campaigns {
            try await diallerCommand("campaign-\(campaign.id)", [
                "campaign", "--id", campaign.id, "--client", campaign.client, "--bot", "campaign", "--from", RunSettings.fromNumber,
                "--account", RunSettings.accountSID, "--max-concurrent", "\(campaign.quota)",
                "--client-quota", "\(plan.clientQuotas[campaign.client] ?? 0)", "--max-attempts", "\(s.maxAttempts)",
                "--retry-base-seconds", "1", "--retry-max-seconds", "2", "--machine-detection",
            ])
            try await diallerCommand("pause-\(campaign.id)", ["pause", "--campaign", campaign.id])
            try await diallerCommand("import-\(campaign.id)", ["import", "--campaign", campaign.id, s.workDir + "/leads-\(campaign.id).csv"])
        }

        // Follow the placements; kill a worker and inject a 429 on the way.
        let sampler = RegistrySampler()
        let victim = RunSettings.workerID(min(2, s.workers))
        let victimProcess = workers[min(2, s.workers) - 1]
        record.withLockedValue { $0.killedWorker = victim }
        let samplerTask = Task {
            try await sampler.run(controlURL: controlURL, database: database) { sample in
                await self.afterSample(sample, victim: victim, victimProcess: victimProcess, database: database, controlURL: controlURL)
            }
        }
        let started = nowMs()
        record.withLockedValue { $0.startedAtMs = started }
        for campaign in plan.campaigns { try await diallerCommand("resume-\(campaign.id)", ["resume", "--campaign", campaign.id]) }
        say("campaign started: \(plan.leads.count) leads in \(plan.campaigns.count) campaigns, CPS \(s.cps), \(s.maxAttempts) attempts per lead")

        // Until every lead has its outcome.
        var lastReport = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(s.timeoutSeconds)
        var finished = false
        while ContinuousClock.now < deadline {
            let remaining = try await database.remaining()
            if remaining == 0 {
                finished = true
                break
            }
            if ContinuousClock.now - lastReport >= .seconds(10) {
                lastReport = ContinuousClock.now
                say("  \(Self.seconds(.milliseconds(nowMs() - started))) s: \(remaining) leads open, \(sampler.placementsSeen) calls placed")
            }
            guard dialler.isRunning, twilio.isRunning else { throw CampaignError("the dialler or the fake exited mid-campaign") }
            try await Task.sleep(for: .milliseconds(250))
        }
        let finishedAt = nowMs()
        record.withLockedValue {
            $0.finished = finished
            $0.finishedAtMs = finishedAt
        }
        say("campaign \(finished ? "finished" : "NOT finished") after \(Self.seconds(.milliseconds(finishedAt - started))) s")

        // The fake's calls end (the last results' calls are closing), then everything is read.
        try? await waitUntil("no live call at the fake", timeout: .seconds(15)) { try await self.stats(controlURL).live == 0 }
        let stats = try await stats(controlURL)
        let leads = try await database.leads()
        let attempts = try await database.attempts()
        let outcomes = try await database.outcomes()
        samplerTask.cancel()
        _ = await samplerTask.result
        record.withLockedValue {
            $0.stats = stats
            $0.leads = leads
            $0.attempts = attempts
            $0.outcomes = outcomes
            $0.samples = sampler.samples
            $0.sampleErrors = sampler.sampleErrors
            $0.placementsSeen = sampler.placementsSeen
        }
    }

    /// After each registry sample: the 429 and the kill, once each, when their placement count is reached.
    private func afterSample(
        _ sample: RegistrySample, victim: String, victimProcess: ChildProcess, database: CampaignDatabase, controlURL: String
    ) async {
        let placed = sample.placementIndex + 1
        let (inject, kill) = record.withLockedValue { record -> (Bool, Bool) in
            let inject = record.rateLimitInjectedAtMs == nil && placed >= settings.rateLimitAtPlacement
            if inject { record.rateLimitInjectedAtMs = nowMs() }
            let victimActive = sample.workers[victim]?.active ?? 0
            let kill = record.killAtMs == nil && placed >= settings.killAfterPlacements && victimActive >= 2
            if kill {
                record.killAtMs = nowMs()
                record.killPlacements = placed
            }
            return (inject, kill)
        }
        if inject {
            do {
                try await control(controlURL, "/rate-limit?count=1&retry_after=\(settings.retryAfterSeconds)")
                say("  429 injected after \(placed) placements (Retry-After: \(settings.retryAfterSeconds))")
            } catch {
                say("  could not inject the 429: \(error)")
            }
        }
        guard kill else { return }
        victimProcess.kill()
        let slots = (try? await database.slotsInUse(worker: victim)) ?? []
        record.withLockedValue { $0.killedSlots = slots.map { (reservation: $0.0, state: $0.1) } }
        say("  SIGKILL \(victim) (pid \(victimProcess.pid)) after \(placed) placements, with \(slots.count) slot(s) in use: "
            + slots.map(\.1).joined(separator: ","))
        Task { await self.watchExpiry(victim: victim, reservations: slots.map(\.0), database: database) }
    }

    /// Waits until the registry calls the killed worker expired, then looks up its reservations.
    private func watchExpiry(victim: String, reservations: [String], database: CampaignDatabase) async {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let status = try? await database.registry.worker(victim), status.state == .expired {
                let at = nowMs()
                var lookups: [String: ReservationLookup?] = [:]
                for id in reservations {
                    if let uuid = UUID(uuidString: id) { lookups[id] = try? await database.registry.lookup(reservationID: uuid) }
                }
                record.withLockedValue {
                    $0.victimExpiredAtMs = at
                    $0.killedLookups = lookups
                }
                say("  \(victim) expired in the registry \(at - (result.killAtMs ?? at)) ms after the kill")
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func waitUntil(_ what: String, timeout: Duration, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CampaignError("timed out waiting for: \(what)")
    }

    /// SIGTERM to everything still running (the dialler first, the providers last), each
    /// process's ending recorded; SIGKILL after 30 s.
    private func stopAll() async {
        let all = children.withLockedValue { $0 }
        let order = ["call-dialler"] + (1...settings.workers).map(RunSettings.workerID) + ["twilio-fake", "provider-fake"]
        for name in order {
            guard let child = all[name] else { continue }
            let running = child.isRunning
            await withTaskGroup(of: Int32?.self) { group in
                group.addTask { await child.stop(signal: SIGTERM) }
                group.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return nil
                }
                if (await group.next() ?? nil) == nil { child.kill() }
                group.cancelAll()
            }
            record.withLockedValue { $0.endings[name] = (child.ending ?? "still running", running) }
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
