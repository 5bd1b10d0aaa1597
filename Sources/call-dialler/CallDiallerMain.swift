import ArgumentParser
import CallCapacity
import CallDialler
import Foundation
import TwilioMediaStreams
import TwilioREST
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

// call-dialler: campaigns of outbound calls on the capacity registry. State in PostgreSQL.

@main
struct CallDiallerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call-dialler",
        abstract: "Outbound campaign dialler on the call-capacity registry.",
        subcommands: [Serve.self, CampaignCommand.self, Import.self, Pause.self, Resume.self, Status.self]
    )
}

/// Options every subcommand shares: where the state lives.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (default: $DIALLER_DATABASE_URL, else $CAPACITY_DATABASE_URL).")
    var databaseURL: String?
    @Option(help: "Schema of the dialler's tables.")
    var schema = "call_dialler"
    @Option(help: "Schema of the capacity registry (the workers' CAPACITY_DATABASE_SCHEMA).")
    var capacitySchema = ProcessInfo.processInfo.environment["CAPACITY_DATABASE_SCHEMA"] ?? "call_capacity"

    func resolvedURL() throws -> String {
        let env = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? env["DIALLER_DATABASE_URL"] ?? env["CAPACITY_DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("set --database-url, DIALLER_DATABASE_URL or CAPACITY_DATABASE_URL")
        }
        return url
    }

    /// Runs `body` with a running client, the migrated store and the registry.
    func withDatabase<T: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (DiallerStore, PostgresCapacityRegistry, PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(
            configuration: try PostgresCapacityConfiguration.clientConfiguration(url: try resolvedURL()), backgroundLogger: logger)
        let store = try DiallerStore(client: client, schema: schema, logger: logger)
        let registry = try PostgresCapacityRegistry(client: client, schema: capacitySchema, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            group.addTask {
                try await registry.migrate()
                try await store.migrate()
                return try await body(store, registry, client)
            }
            defer { group.cancelAll() }
            while let value = try await group.next() {
                if let value { return value }
            }
            throw ValidationError("database client stopped")
        }
    }
}

func makeLogger() -> Logger {
    var logger = Logger(label: "call-dialler")
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the dialler: place calls, receive status callbacks and results.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Listen address.") var host = "0.0.0.0"
    @Option(help: "Listen port.") var port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "") ?? 8090
    @Option(help: "Public base URL Twilio posts status callbacks to (default: $DIALLER_PUBLIC_URL).")
    var publicURL = ProcessInfo.processInfo.environment["DIALLER_PUBLIC_URL"] ?? ""
    @Option(help: "JSON file of Twilio accounts: [{account_sid, auth_token, api_key?, api_secret?, cps?, api_base_url?}] (default: $TWILIO_ACCOUNTS_FILE).")
    var accountsFile = ProcessInfo.processInfo.environment["TWILIO_ACCOUNTS_FILE"] ?? ""
    @Option(help: "Calls per second of an account without its own cps (Twilio's default CPS is 1).")
    var cps = Double(ProcessInfo.processInfo.environment["DIALLER_CPS"] ?? "") ?? 1
    @Option(help: "Seconds a reservation waits for the worker's confirmation.") var holdSeconds = 30
    @Option(help: "Seconds the drain waits for live calls on SIGTERM.") var drainSeconds = 120

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let secret = env["RESULT_WEBHOOK_SECRET"], !secret.isEmpty else {
            throw ValidationError("RESULT_WEBHOOK_SECRET is required: worker results are verified with it")
        }
        guard publicURL.hasPrefix("https://") || publicURL.hasPrefix("http://") else {
            throw ValidationError("--public-url / DIALLER_PUBLIC_URL must be the dialler's public http(s) base URL")
        }
        let accounts = try Self.accounts(env, file: accountsFile)
        let token = env["TWILIO_AUTH_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        guard !accounts.isEmpty || token != nil else {
            throw ValidationError("TWILIO_AUTH_TOKEN or an accounts file is required: status callbacks are verified with the accounts' auth tokens")
        }
        let prometheus = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
        let logger = makeLogger()
        let configuration = DiallerConfiguration(
            publicURL: publicURL, hold: .seconds(holdSeconds), drainTimeout: .seconds(drainSeconds))
        let (host, port, cps) = (self.host, self.port, self.cps)
        try await database.withDatabase(logger: logger) { store, registry, _ in
            // Twilio REST, per account (TWILIO_ACCOUNT_SID and/or the accounts file); without an
            // account every call is refused and campaigns pause (fails closed). A campaign of an
            // account not configured here pauses the same way.
            let placer: any OutboundCallPlacer
            let signatures: StatusCallbackSignatures
            if accounts.isEmpty, let token {
                placer = UnconfiguredPlacer()
                signatures = StatusCallbackSignatures(authToken: token)
                logger.warning("no Twilio account configured (TWILIO_ACCOUNT_SID or an accounts file): calls are refused and campaigns pause")
            } else {
                var placers: [String: any OutboundCallPlacer] = [:]
                for account in accounts {
                    let rest = try account.apiBaseURL.map { TwilioRESTConfiguration(baseURL: $0) } ?? Self.restConfiguration(env)
                    let client = TwilioRESTClient(credentials: account.credentials, configuration: rest, logger: logger)
                    placers[account.accountSID] = TwilioCallPlacer(client: client)
                    logger.info("placing calls through Twilio REST", metadata: [
                        "account": "\(account.accountSID)", "cps": "\(account.callsPerSecond ?? cps)", "base_url": "\(client.configuration.baseURL)",
                    ])
                }
                placer = AccountRoutedPlacer(placers: placers)
                signatures = StatusCallbackSignatures(authTokensByAccount: Dictionary(uniqueKeysWithValues: accounts.map { ($0.accountSID, $0.authToken) }))
            }
            let rates = Dictionary(uniqueKeysWithValues: accounts.compactMap { account in account.callsPerSecond.map { (account.accountSID, $0) } })
            let dialler = Dialler(
                store: store, registry: registry, placer: placer,
                pacer: AccountPacer(defaultRate: cps, rates: rates, logger: logger), configuration: configuration, logger: logger)
            let http = DiallerHTTPServer(
                dialler: dialler, publicURL: publicURL, callbackSignatures: signatures, resultSecret: secret,
                prometheus: prometheus, logger: logger)
            let app = http.makeApplication(host: host, port: port) { port in
                logger.info("listening", metadata: ["port": "\(port)"])
            }
            // Reverse order on shutdown: the dialler drains first, the HTTP server (callbacks
            // and results of live calls) stops after it.
            let group = ServiceGroup(configuration: .init(
                services: [app, DiallerService(dialler: dialler)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            logger.info("stopped")
        }
    }
}

extension Serve {
    /// The accounts of `file` (``TwilioAccountsFile``) and the one of `TWILIO_ACCOUNT_SID` with
    /// `TWILIO_AUTH_TOKEN` (and `TWILIO_API_KEY` / `TWILIO_API_SECRET`, both or neither).
    static func accounts(_ env: [String: String], file: String) throws -> [TwilioAccount] {
        var accounts: [TwilioAccount] = []
        if !file.isEmpty {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("--accounts-file / TWILIO_ACCOUNTS_FILE: cannot read \(file)")
            }
            do {
                accounts = try TwilioAccountsFile.parse(data)
            } catch {
                throw ValidationError("\(file): \(error)")
            }
        }
        guard let account = env["TWILIO_ACCOUNT_SID"], !account.isEmpty else { return accounts }
        guard TwilioSID.isValid(account, kind: .account) else {
            throw ValidationError("TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits")
        }
        guard let authToken = env["TWILIO_AUTH_TOKEN"], !authToken.isEmpty else {
            throw ValidationError("TWILIO_ACCOUNT_SID needs TWILIO_AUTH_TOKEN: the account's callbacks are verified with it")
        }
        guard !accounts.contains(where: { $0.accountSID == account }) else {
            throw ValidationError("TWILIO_ACCOUNT_SID \(account) is also in the accounts file")
        }
        let credentials: TwilioCredentials
        switch (env["TWILIO_API_KEY"], env["TWILIO_API_SECRET"]) {
        case (let key?, let secret?): credentials = .apiKey(accountSID: account, keySID: key, secret: secret)
        case (nil, nil): credentials = .authToken(accountSID: account, authToken: authToken)
        default: throw ValidationError("TWILIO_API_KEY and TWILIO_API_SECRET go together")
        }
        accounts.append(TwilioAccount(credentials: credentials, authToken: authToken))
        return accounts
    }

    /// `TWILIO_API_BASE_URL` (a local fake in tests), else Twilio's.
    static func restConfiguration(_ env: [String: String]) throws -> TwilioRESTConfiguration {
        guard let base = env["TWILIO_API_BASE_URL"] else { return TwilioRESTConfiguration() }
        guard base.hasPrefix("https://") || base.hasPrefix("http://") else { throw ValidationError("TWILIO_API_BASE_URL must be an http(s) URL") }
        return TwilioRESTConfiguration(baseURL: base)
    }
}

struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "campaign", abstract: "Create or update a campaign.")
    @OptionGroup var database: DatabaseOptions
    @Option var id: String
    @Option var client: String
    @Option var bot: String
    @Option(help: "Caller id (E.164).") var from: String
    @Option(help: "Carrier account (Twilio Account SID).") var account: String
    @Option(help: "Most concurrent calls of the campaign.") var maxConcurrent: Int?
    @Option(help: "Most concurrent calls of the client over all its campaigns.") var clientQuota: Int?
    @Option var maxAttempts = 3
    @Option var retryBaseSeconds = 60
    @Option var retryMaxSeconds = 3600
    @Option(help: "Calling window HH:MM-HH:MM in --time-zone.") var window = "00:00-24:00"
    @Option(help: "IANA time zone of the window.") var timeZone = "UTC"
    @Flag(help: "Ask for answering-machine detection.") var machineDetection = false

    func run() async throws {
        let campaign = Campaign(
            id: id, clientID: client, botID: bot, fromNumber: from, account: account, maxConcurrent: maxConcurrent,
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .seconds(retryBaseSeconds), maxDelay: .seconds(retryMaxSeconds)),
            window: try CallingWindow(parsing: window, timeZone: timeZone), machineDetection: machineDetection)
        let clientQuota = self.clientQuota
        try await database.withDatabase(logger: makeLogger()) { store, registry, _ in
            try await CampaignSetup.apply(campaign, store: store, registry: registry)
            if let clientQuota { try await CampaignSetup.setClientQuota(campaign.clientID, maxConcurrent: clientQuota, registry: registry) }
        }
        print("campaign \(id) saved")
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import leads from a CSV or JSON file.")
    @OptionGroup var database: DatabaseOptions
    @Option var campaign: String
    @Argument(help: "CSV (header with phone, optional id, priority) or JSON array file.") var file: String

    func run() async throws {
        let leads = try LeadImporter.parse(try String(contentsOfFile: file, encoding: .utf8))
        let campaign = self.campaign
        let added = try await database.withDatabase(logger: makeLogger()) { store, _, _ in
            try await store.importLeads(leads, into: campaign)
        }
        print("imported \(added) new leads of \(leads.count) into \(campaign)")
    }
}

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause a campaign (live calls finish).")
    @OptionGroup var database: DatabaseOptions
    @Option var campaign: String
    func run() async throws {
        let campaign = self.campaign
        try await database.withDatabase(logger: makeLogger()) { store, _, _ in try await store.setPaused(campaignID: campaign, true) }
        print("campaign \(campaign) paused")
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused campaign.")
    @OptionGroup var database: DatabaseOptions
    @Option var campaign: String
    func run() async throws {
        let campaign = self.campaign
        try await database.withDatabase(logger: makeLogger()) { store, _, _ in try await store.setPaused(campaignID: campaign, false) }
        print("campaign \(campaign) resumed")
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a campaign's leads by state and outcome.")
    @OptionGroup var database: DatabaseOptions
    @Option var campaign: String
    func run() async throws {
        let campaign = self.campaign
        let summary = try await database.withDatabase(logger: makeLogger()) { store, _, _ in try await store.summary(campaignID: campaign) }
        for (key, count) in summary.sorted(by: { $0.key < $1.key }) { print("\(key)\t\(count)") }
    }
}
