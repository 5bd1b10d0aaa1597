import CallEngine
import CallWorker
import Foundation
import Testing

@Suite struct WorkerConfigurationTests {
    @Test func defaultsAndValidation() throws {
        let defaults = try WorkerConfiguration.dev([:])
        #expect(defaults.port == 8080)
        #expect(defaults.maximumConcurrentCalls == 1)
        #expect(defaults.drainBudget.total == WorkerConfiguration.defaultDrainBudget)
        #expect(defaults.openAI == nil)

        #expect(throws: WorkerConfigurationError.invalidVariable(name: "PORT", reason: "expected an integer in 0...65535, got \"http\"")) {
            try WorkerConfiguration.dev(["PORT": "http"])
        }
        #expect(throws: WorkerConfigurationError.self) { try WorkerConfiguration.dev(["MAX_CONCURRENT_CALLS": "0"]) }
        #expect(throws: WorkerConfigurationError.self) { try WorkerConfiguration.dev(["RESULT_WEBHOOK_URL": "not a url"]) }
        #expect(throws: WorkerConfigurationError.self) { try WorkerConfiguration.dev(["PUBLIC_HOST": "https://x/y"]) }
    }

    @Test func executorIsEventLoopsUnlessSwiftIsAskedFor() throws {
        #expect(try WorkerExecutor.from([:]) == .eventLoops)
        #expect(try WorkerExecutor.from(["WORKER_EXECUTOR": ""]) == .eventLoops)
        #expect(try WorkerExecutor.from(["WORKER_EXECUTOR": "Swift"]) == .swift)
        #expect(try WorkerExecutor.from(["WORKER_EXECUTOR": "event-loops"]) == .eventLoops)
        #expect(throws: WorkerConfigurationError.invalidVariable(name: "WORKER_EXECUTOR", reason: "expected one of event-loops, swift, got nio")) {
            try WorkerExecutor.from(["WORKER_EXECUTOR": "nio"])
        }
    }

    @Test func webhooksAreHTTPSAndSignedUnlessExplicitlyAllowed() throws {
        func rejected(_ environment: [String: String]) -> String? {
            do {
                _ = try WorkerConfiguration.dev(environment)
                return nil
            } catch {
                if case .invalidVariable(let name, _) = error { return name }
                return nil
            }
        }
        let secret = ["RESULT_WEBHOOK_SECRET": "whsec-1"]
        // http:// is refused unless RESULT_WEBHOOK_ALLOW_HTTP=1 (exactly "1").
        #expect(rejected(secret.merging(["RESULT_WEBHOOK_URL": "http://hooks.example.com/r"]) { $1 }) == "RESULT_WEBHOOK_URL")
        #expect(rejected(secret.merging(["RESULT_WEBHOOK_URL": "HTTP://hooks.example.com/r", "RESULT_WEBHOOK_ALLOW_HTTP": "true"]) { $1 }) == "RESULT_WEBHOOK_URL")
        let local = try WorkerConfiguration.dev(secret.merging(["RESULT_WEBHOOK_URL": "http://127.0.0.1:9/r", "RESULT_WEBHOOK_ALLOW_HTTP": "1"]) { $1 })
        #expect(local.resultWebhookURL == "http://127.0.0.1:9/r")
        // A webhook needs a signing secret (fail closed) unless unsigned is explicitly allowed.
        #expect(rejected(["RESULT_WEBHOOK_URL": "https://hooks.example.com/r"]) == "RESULT_WEBHOOK_SECRET")
        let unsigned = try WorkerConfiguration.dev(["RESULT_WEBHOOK_URL": "https://hooks.example.com/r", "RESULT_WEBHOOK_ALLOW_UNSIGNED": "1"])
        #expect(unsigned.resultWebhookSecret == nil)
        #expect(unsigned.description.contains("UNSIGNED"))
        // No webhook: no secret needed.
        #expect(try WorkerConfiguration.dev([:]).resultWebhookURL == nil)
    }

    @Test func oneDrainBudgetSplitIntoCallsGoodbyeAndForceEnd() throws {
        let defaults = try WorkerConfiguration.dev([:]).drainBudget
        #expect(defaults.total == .seconds(50))
        #expect([defaults.callWait, defaults.goodbye, defaults.forceEnd] == [.seconds(35), .seconds(10), .seconds(5)])
        #expect(defaults.description == "50 s (calls 35 s, goodbye 10 s, force-end 5 s)")
        let explicit = try WorkerConfiguration.dev(["DRAIN_BUDGET": "25"]).drainBudget
        #expect([explicit.callWait, explicit.goodbye, explicit.forceEnd] == [.milliseconds(17_500), .seconds(5), .milliseconds(2_500)])
        // DRAIN_TIMEOUT is the older name; DRAIN_BUDGET wins when both are set.
        #expect(try WorkerConfiguration.dev(["DRAIN_TIMEOUT": "2"]).drainBudget.total == .seconds(2))
        #expect(try WorkerConfiguration.dev(["DRAIN_TIMEOUT": "2", "DRAIN_BUDGET": "30"]).drainBudget.total == .seconds(30))
        let tiny = DrainBudget(total: .seconds(2))
        #expect(tiny.callWait + tiny.goodbye + tiny.forceEnd == .seconds(2))
        #expect(tiny.forceEnd == .seconds(1))
        #expect(throws: WorkerConfigurationError.self) { try WorkerConfiguration.dev(["DRAIN_BUDGET": "-1"]) }
        #expect(try WorkerConfiguration.dev([:]).description.contains("drain_budget=50 s"))
    }

    @Test func fleetRegistrySettingsAreReadAndValidated() throws {
        let alone = try WorkerConfiguration.dev([:])
        #expect(alone.fleet == nil)
        #expect(alone.description.contains("capacity_registry=none"))

        let configuration = try WorkerConfiguration.dev([
            "CAPACITY_DATABASE_URL": "postgres://fleet:db-secret@db.internal:5433/calls?sslmode=disable",
            "PUBLIC_HOST": "worker-7.example.com", "MAX_CONCURRENT_CALLS": "4",
            "WORKER_ID": "worker-7", "WORKER_LABELS": "region=eu-west, version=1.4", "REGISTRY_TTL": "9",
        ])
        let fleet = try #require(configuration.fleet)
        #expect(fleet.registration.workerID == "worker-7")
        #expect(fleet.registration.streamURL == "wss://worker-7.example.com/ws")
        #expect(fleet.registration.slots == 4)
        #expect(fleet.registration.labels == ["region": "eu-west", "version": "1.4"])
        #expect(fleet.registration.ttl == .seconds(9))
        #expect(fleet.schema == "call_capacity")
        #expect(!configuration.description.contains("db-secret"))
        #expect(configuration.description.contains("worker_id=worker-7"))

        let explicit = try WorkerConfiguration.dev([
            "CAPACITY_DATABASE_URL": "postgres://fleet@db/calls", "WORKER_STREAM_URL": "wss://lb.example.com/ws",
        ])
        #expect(explicit.fleet?.registration.streamURL == "wss://lb.example.com/ws")

        func rejected(_ environment: [String: String]) -> String? {
            do {
                _ = try WorkerConfiguration.dev(environment)
                return nil
            } catch {
                if case .invalidVariable(let name, _) = error { return name }
                return nil
            }
        }
        let url = "postgres://fleet@db/calls"
        #expect(rejected(["CAPACITY_DATABASE_URL": "mysql://fleet@db/calls", "PUBLIC_HOST": "w"]) == "CAPACITY_DATABASE_URL")
        #expect(rejected(["CAPACITY_DATABASE_URL": url]) == "WORKER_STREAM_URL")
        #expect(rejected(["CAPACITY_DATABASE_URL": url, "WORKER_STREAM_URL": "https://w/ws"]) == "WORKER_STREAM_URL")
        #expect(rejected(["CAPACITY_DATABASE_URL": url, "PUBLIC_HOST": "w", "WORKER_LABELS": "region"]) == "WORKER_LABELS")
        #expect(rejected(["CAPACITY_DATABASE_URL": url, "PUBLIC_HOST": "w", "WORKER_LABELS": "a=1,a=2"]) == "WORKER_LABELS")
        #expect(rejected(["CAPACITY_DATABASE_URL": url, "PUBLIC_HOST": "w", "REGISTRY_TTL": "1"]) == "REGISTRY_TTL")
        #expect(rejected(["CAPACITY_DATABASE_URL": url, "PUBLIC_HOST": "w", "CAPACITY_SCHEMA": "Drop Table"]) == "CAPACITY_SCHEMA")
    }

    @Test func secretsNeverAppearInTheSummary() throws {
        let configuration = try WorkerConfiguration.fromEnvironment([
            "OPENAI_API_KEY": "sk-very-secret", "TWILIO_AUTH_TOKEN": "tw-secret", "PUBLIC_HOST": "worker.example.com",
            "STREAM_TOKEN_SECRET": "stream-secret-0123456789abcdef0123456789",
            "RESULT_WEBHOOK_URL": "https://hooks.example.com/r?token=hook-secret", "OPENAI_CHAT_MODEL": "gpt-test",
            "RESULT_WEBHOOK_SECRET": "whsec-signing-secret",
        ])
        #expect(configuration.openAI?.chatModel == "gpt-test")
        #expect(configuration.resultWebhookSecret == "whsec-signing-secret")
        let text = configuration.description + "\(configuration)"
        for secret in ["sk-very-secret", "tw-secret", "hook-secret", "whsec-signing-secret", "stream-secret-0123456789abcdef0123456789"] {
            #expect(!text.contains(secret))
        }
        #expect(text.contains("twilio_signatures=enforced"))
    }

    @Test func botsFileIsValidatedWithClearErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ text: String) throws -> String {
            let url = directory.appendingPathComponent("bots.json")
            try Data(text.utf8).write(to: url)
            return url.path
        }
        let good = try write(#"""
        {"bots":[{"id":"sales","systemPrompt":"Sell.","greeting":"Hi!","vad":{"stopHangoverMs":700},
          "idle":{"prompt":"Still there?","timeoutSeconds":8,"maximumPrompts":1},
          "bargeIn":{"enabled":true,"minimumSpeechMs":400},
          "leadFields":[{"name":"email","type":"email","description":"e-mail","allowedValues":[],"maximumLength":100}]}]}
        """#)
        let catalog = try BotCatalog.load(path: good, recordingDirectory: nil)
        let sales = try #require(catalog.configuration(for: "sales"))
        #expect(sales.voiceActivity.segmenter.stopHangover == .milliseconds(700))
        #expect(sales.idle.timeout == .seconds(8))
        #expect(sales.idle.prompt == "Still there?")
        #expect(sales.bargeIn.minimumSpeech == .milliseconds(400))
        #expect(sales.leadSchema.map(\.name) == ["email"])

        let missing = try write(#"{"bots":[{"id":"x"}]}"#)
        #expect(throws: WorkerConfigurationError.malformedBotsFile(path: missing, reason: "missing \"systemPrompt\" at bots.[0]")) {
            try BotCatalog.load(path: missing, recordingDirectory: nil)
        }
        let duplicate = try write(#"{"bots":[{"id":"a","systemPrompt":"p"},{"id":"a","systemPrompt":"p"}]}"#)
        #expect(throws: WorkerConfigurationError.invalidBot(id: "a", reason: "duplicate id")) {
            try BotCatalog.load(path: duplicate, recordingDirectory: nil)
        }
        let badHangover = try write(#"{"bots":[{"id":"a","systemPrompt":"p","vad":{"stopHangoverMs":5}}]}"#)
        #expect(throws: WorkerConfigurationError.invalidBot(id: "a", reason: "vad.stopHangoverMs must be in 100...5000")) {
            try BotCatalog.load(path: badHangover, recordingDirectory: nil)
        }
        #expect(throws: WorkerConfigurationError.self) { try BotCatalog.load(path: directory.appendingPathComponent("nope.json").path, recordingDirectory: nil) }
    }

    @Test func shippedExampleBotsFileIsValid() throws {
        // Tests/CallWorkerTests/<this file> -> package root -> Examples/bots.json
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Examples/bots.json").path
        let catalog = try BotCatalog.load(path: path, recordingDirectory: nil)
        #expect(catalog.configuration(for: "demo")?.greeting != nil)
    }
}

extension WorkerConfiguration {
    /// `fromEnvironment` with `TWILIO_SIGNATURES=off` added (these tests are not about signatures).
    static func dev(_ environment: [String: String]) throws(WorkerConfigurationError) -> WorkerConfiguration {
        try fromEnvironment(environment.merging(["TWILIO_SIGNATURES": "off"]) { given, _ in given })
    }
}
