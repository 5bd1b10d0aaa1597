import CallCapacity
import Foundation
import OpenAIServices

/// Everything the worker reads from its environment, validated at startup.
///
/// Secrets (`OPENAI_API_KEY`, `TWILIO_AUTH_TOKEN`, `CAPACITY_DATABASE_URL`, `RESULT_WEBHOOK_SECRET`) are kept
/// out of ``logMetadataSummary`` and of `description`.
public struct WorkerConfiguration: Sendable, CustomStringConvertible {
    /// Listen address (`HOST`, default `0.0.0.0`).
    public var host: String
    /// Listen port (`PORT`, default 8080; 0 picks a free port).
    public var port: Int
    /// Public host name (and port, if not the scheme's default) used in TwiML stream URLs and
    /// to rebuild signed URLs (`PUBLIC_HOST`); required with signatures on. Only with
    /// `TWILIO_SIGNATURES=off` may it be nil, and then the `Host` header fills the TwiML URL.
    public var publicHost: String?
    /// OpenAI-compatible providers, when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set.
    public var openAI: OpenAIConfiguration?
    /// Post-call result webhook (`RESULT_WEBHOOK_URL`); nil spools results only. `https` only,
    /// unless `RESULT_WEBHOOK_ALLOW_HTTP=1`.
    public var resultWebhookURL: String?
    /// The HMAC secret signing each webhook (`RESULT_WEBHOOK_SECRET`, header `X-Call-Signature`).
    /// Required with a webhook (fail closed) unless `RESULT_WEBHOOK_ALLOW_UNSIGNED=1`.
    public var resultWebhookSecret: String?
    /// Directory for spooled post-call results (`SPOOL_DIR`, default `./spool`).
    public var spoolDirectory: String
    /// Twilio auth token (`TWILIO_AUTH_TOKEN`); required unless `TWILIO_SIGNATURES=off`.
    public var twilioAuthToken: String?
    /// Calls handled at once (`MAX_CONCURRENT_CALLS`, default 1).
    public var maximumConcurrentCalls: Int
    /// The whole drain after SIGTERM (`DRAIN_BUDGET` seconds, default ``defaultDrainBudget``;
    /// `DRAIN_TIMEOUT` is accepted as an older name), split by ``DrainBudget``.
    public var drainBudget: DrainBudget
    /// Directory for call recordings (`RECORDINGS_DIR`); nil disables recording.
    public var recordingsDirectory: String?
    /// Path of the bots JSON file (`BOTS_FILE`); nil uses the built-in demo bot.
    public var botsFile: String?
    /// The fleet capacity registry to join (`CAPACITY_DATABASE_URL` and friends, see
    /// ``FleetConfiguration``); nil runs the worker alone.
    public var fleet: FleetConfiguration?
    /// Twilio REST access for transfers and `/attach` (`TWILIO_ACCOUNT_SID`, see
    /// ``WorkerTwilioSettings``); nil: `transfer_call` hangs up and `/attach` refuses.
    public var twilio: WorkerTwilioSettings?
    /// HMAC secret of `POST /attach` (`ATTACH_SECRET`); nil refuses every attach (fail closed).
    public var attachSecret: String?

    // MARK: Security (issue 13)

    /// Signatures (fail closed), stream token, trusted proxies, HTTP timeouts and connection
    /// cap (`TWILIO_SIGNATURES`, `STREAM_TOKEN_*`, `TRUSTED_PROXIES`, `HTTP_*_TIMEOUT`,
    /// `MAX_CONNECTIONS`); see ``WorkerSecurityConfiguration``. In-process servers without an
    /// auth token must set ``WorkerSecurityConfiguration/development`` or every signed route refuses.
    public var security = WorkerSecurityConfiguration()

    /// The worker's default total drain budget after SIGTERM: waiting for calls, the goodbye
    /// and the force-end all fit in it. 50 s fits the orchestrator budget of 60 s with a 5 s
    /// preStop sleep and 5 s to spare (the Kubernetes manifests are checked against it).
    public static let defaultDrainBudget: Duration = .seconds(50)

    /// Creates a configuration with defaults.
    public init(
        host: String = "0.0.0.0",
        port: Int = 8080,
        publicHost: String? = nil,
        openAI: OpenAIConfiguration? = nil,
        resultWebhookURL: String? = nil,
        spoolDirectory: String = "./spool",
        twilioAuthToken: String? = nil,
        maximumConcurrentCalls: Int = 1,
        drainBudget: Duration = WorkerConfiguration.defaultDrainBudget,
        recordingsDirectory: String? = nil,
        botsFile: String? = nil,
        fleet: FleetConfiguration? = nil
    ) {
        self.host = host
        self.port = port
        self.publicHost = publicHost
        self.openAI = openAI
        self.resultWebhookURL = resultWebhookURL
        self.spoolDirectory = spoolDirectory
        self.twilioAuthToken = twilioAuthToken
        self.maximumConcurrentCalls = maximumConcurrentCalls
        self.drainBudget = DrainBudget(total: drainBudget)
        self.recordingsDirectory = recordingsDirectory
        self.botsFile = botsFile
        self.fleet = fleet
    }

    /// Reads and validates the configuration from environment variables.
    /// - Throws: ``WorkerConfigurationError/invalidVariable(name:reason:)`` naming the variable.
    public static func fromEnvironment(_ environment: [String: String]) throws(WorkerConfigurationError) -> WorkerConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(WorkerConfigurationError) -> Int {
            guard let raw = value(name) else { return fallback }
            guard let number = Int(raw), range.contains(number) else {
                throw .invalidVariable(name: name, reason: "expected an integer in \(range.lowerBound)...\(range.upperBound), got \"\(raw)\"")
            }
            return number
        }
        func url(_ name: String, schemes: Set<String>) throws(WorkerConfigurationError) -> String? {
            guard let raw = value(name) else { return nil }
            guard let parsed = URL(string: raw), let scheme = parsed.scheme?.lowercased(), schemes.contains(scheme), parsed.host != nil else {
                throw .invalidVariable(name: name, reason: "expected an absolute \(schemes.sorted().joined(separator: "/")) URL")
            }
            return raw
        }

        var configuration = WorkerConfiguration()
        configuration.host = value("HOST") ?? "0.0.0.0"
        configuration.port = try integer("PORT", default: 8080, range: 0...65_535)
        if let publicHost = value("PUBLIC_HOST") {
            guard !publicHost.contains("/"), !publicHost.contains(" ") else {
                throw .invalidVariable(name: "PUBLIC_HOST", reason: "expected a host name (and optional port) without scheme or path")
            }
            configuration.publicHost = publicHost
        }
        configuration.resultWebhookURL = try url("RESULT_WEBHOOK_URL", schemes: ["http", "https"])
        configuration.resultWebhookSecret = value("RESULT_WEBHOOK_SECRET")
        if let webhook = configuration.resultWebhookURL {
            if webhook.lowercased().hasPrefix("http:"), value("RESULT_WEBHOOK_ALLOW_HTTP") != "1" {
                throw .invalidVariable(
                    name: "RESULT_WEBHOOK_URL",
                    reason: "http:// sends personal data in clear text; use https:// (or set RESULT_WEBHOOK_ALLOW_HTTP=1 for local development)"
                )
            }
            if configuration.resultWebhookSecret == nil, value("RESULT_WEBHOOK_ALLOW_UNSIGNED") != "1" {
                throw .invalidVariable(
                    name: "RESULT_WEBHOOK_SECRET",
                    reason: "required with RESULT_WEBHOOK_URL: webhooks are signed (X-Call-Signature); set RESULT_WEBHOOK_ALLOW_UNSIGNED=1 to send them unsigned in development"
                )
            }
        }
        configuration.spoolDirectory = value("SPOOL_DIR") ?? "./spool"
        configuration.twilioAuthToken = value("TWILIO_AUTH_TOKEN")
        configuration.maximumConcurrentCalls = try integer("MAX_CONCURRENT_CALLS", default: 1, range: 1...10_000)
        let defaultBudget = Int(defaultDrainBudget.components.seconds)
        let budgetName = value("DRAIN_BUDGET") != nil || value("DRAIN_TIMEOUT") == nil ? "DRAIN_BUDGET" : "DRAIN_TIMEOUT"
        configuration.drainBudget = DrainBudget(total: .seconds(try integer(budgetName, default: defaultBudget, range: 0...86_400)))
        configuration.recordingsDirectory = value("RECORDINGS_DIR")
        configuration.botsFile = value("BOTS_FILE")

        if let databaseURL = value("CAPACITY_DATABASE_URL") {
            do {
                _ = try PostgresCapacityConfiguration.clientConfiguration(url: databaseURL)
            } catch {
                throw .invalidVariable(name: "CAPACITY_DATABASE_URL", reason: "\(error)")
            }
            let schema = value("CAPACITY_SCHEMA") ?? "call_capacity"
            let streamURL: String
            if let explicit = try url("WORKER_STREAM_URL", schemes: ["ws", "wss"]) {
                streamURL = explicit
            } else if let publicHost = configuration.publicHost {
                streamURL = "wss://\(publicHost)/ws"
            } else {
                throw .invalidVariable(name: "WORKER_STREAM_URL", reason: "required with CAPACITY_DATABASE_URL unless PUBLIC_HOST is set")
            }
            var labels: [String: String] = [:]
            if let raw = value("WORKER_LABELS") {
                guard let parsed = FleetConfiguration.parseLabels(raw) else {
                    throw .invalidVariable(name: "WORKER_LABELS", reason: "expected key=value pairs separated by commas, each key once")
                }
                labels = parsed
            }
            let registration = WorkerRegistration(
                workerID: value("WORKER_ID") ?? ProcessInfo.processInfo.hostName,
                streamURL: streamURL,
                slots: configuration.maximumConcurrentCalls,
                labels: labels,
                ttl: .seconds(try integer("REGISTRY_TTL", default: 15, range: 3...3_600))
            )
            do {
                try registration.validate()
            } catch {
                throw .invalidVariable(name: "WORKER_ID", reason: "\(error)")
            }
            guard PostgresCapacityRegistry.isValidSchemaName(schema) else {
                throw .invalidVariable(name: "CAPACITY_SCHEMA", reason: "expected [a-z_][a-z0-9_]{0,62}, got \"\(schema)\"")
            }
            configuration.fleet = FleetConfiguration(databaseURL: databaseURL, schema: schema, registration: registration)
        }

        configuration.twilio = try WorkerTwilioSettings.fromEnvironment(value, authToken: configuration.twilioAuthToken)
        if let secret = value("ATTACH_SECRET") {
            guard secret.utf8.count >= 16 else { throw .invalidVariable(name: "ATTACH_SECRET", reason: "expected at least 16 characters") }
            configuration.attachSecret = secret
        }

        configuration.security = try WorkerSecurityConfiguration.fromEnvironment(
            environment, twilioAuthToken: configuration.twilioAuthToken, publicHost: configuration.publicHost)

        let apiKey = value("OPENAI_API_KEY")
        let baseURL = try url("OPENAI_BASE_URL", schemes: ["http", "https"])
        if apiKey != nil || baseURL != nil {
            var openAI = OpenAIConfiguration(apiKey: OpenAIAPIKey(apiKey ?? ""), baseURL: baseURL ?? "https://api.openai.com/v1")
            if let model = value("OPENAI_STT_MODEL") { openAI.transcriptionModel = model }
            if let model = value("OPENAI_CHAT_MODEL") { openAI.chatModel = model }
            if let model = value("OPENAI_TTS_MODEL") { openAI.speechModel = model }
            if let voice = value("OPENAI_TTS_VOICE") { openAI.speechVoice = voice }
            if baseURL == nil, apiKey == nil {
                throw .invalidVariable(name: "OPENAI_API_KEY", reason: "required for api.openai.com")
            }
            configuration.openAI = openAI
        }
        return configuration
    }

    /// Non-secret settings for the startup log line.
    public var logMetadataSummary: [String: String] {
        [
            "host": host,
            "port": "\(port)",
            "public_host": publicHost ?? "(from Host header)",
            "providers": openAI.map { "openai-compatible \($0.baseURL) stt=\($0.transcriptionModel) llm=\($0.chatModel) tts=\($0.speechModel)" } ?? "none",
            "result_webhook": resultWebhookURL.map { _ in resultWebhookSecret == nil ? "configured (UNSIGNED)" : "configured (signed)" } ?? "none (spool only)",
            "spool_dir": spoolDirectory,
            "twilio_signatures": security.signatures == .off ? "off (TWILIO_SIGNATURES=off)" : (twilioAuthToken == nil ? "enforced, no token: refusing" : "enforced"),
            "max_concurrent_calls": "\(maximumConcurrentCalls)",
            "drain_budget": drainBudget.description,
            "recordings_dir": recordingsDirectory ?? "none",
            "bots_file": botsFile ?? "(built-in demo bot)",
            "capacity_registry": fleet.map(\.description) ?? "none (runs alone)",
            "twilio_rest": twilio.map { "\($0.credentials) at \($0.rest.baseURL)" } ?? "none (transfer hangs up, /attach refused)",
            "attach": attachSecret == nil ? "refused (no ATTACH_SECRET)" : "signed",
        ]
    }

    /// ``logMetadataSummary`` plus the security settings.
    public var startupSummary: [String: String] {
        logMetadataSummary.merging(security.logMetadataSummary) { current, _ in current }
    }

    /// A one-line summary without secrets.
    public var description: String {
        logMetadataSummary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
