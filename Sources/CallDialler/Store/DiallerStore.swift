import Foundation
import Logging
import PostgresNIO

/// The dialler's state in PostgreSQL (postgres-nio). Every lead transition is one guarded
/// statement (see ``DiallerSchema``); the caller owns the `PostgresClient` and runs it.
public struct DiallerStore: Sendable {
    /// A lead that is due for a call.
    public struct DueLead: Sendable, Hashable {
        /// The lead id.
        public let leadID: String
        /// Its number.
        public let phone: String
        /// Attempts made so far (the guard of the next transition).
        public let attempts: Int
    }

    /// The lead and attempt a reservation id belongs to.
    public struct AttemptRef: Sendable, Hashable {
        /// The campaign.
        public let campaignID: String
        /// The lead.
        public let leadID: String
        /// 1-based attempt number.
        public let attempt: Int
        /// Whether this is the lead's current (dialing) attempt.
        public let isCurrent: Bool
        /// The latest `AnsweredBy` seen.
        public let answeredBy: String?
    }

    let client: PostgresClient
    let schema: DiallerSchema
    let logger: Logger

    /// Creates a store.
    /// - Parameters:
    ///   - client: A running `PostgresClient`.
    ///   - schema: The PostgreSQL schema of the dialler's tables (created by ``migrate()``).
    ///   - logger: Logger.
    public init(client: PostgresClient, schema: String = "call_dialler", logger: Logger) throws(DiallerError) {
        self.client = client
        self.schema = try DiallerSchema(name: schema)
        self.logger = logger
    }

    /// Creates or upgrades the tables; idempotent and safe from several processes at once
    /// (one transaction behind an advisory lock).
    @discardableResult
    public func migrate() async throws(DiallerError) -> [Int] {
        let schema = self.schema
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection -> [Int] in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("call_dialler.migrate." + schema.name)))", logger: logger)
                for statement in schema.bootstrap {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT version FROM \(schema.migrationsTable)"), logger: logger)
                var applied = Set<Int>()
                for try await version in rows.decode(Int.self) { applied.insert(version) }
                var done: [Int] = []
                for migration in schema.migrations where !applied.contains(migration.version) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    var binds = PostgresBindings()
                    binds.append(migration.version)
                    binds.append(migration.name)
                    try await connection.query(PostgresQuery(
                        unsafeSQL: "INSERT INTO \(schema.migrationsTable) (version, name) VALUES ($1, $2)", binds: binds), logger: logger)
                    done.append(migration.version)
                }
                return done
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    // MARK: Campaigns and leads

    /// Creates or updates a campaign.
    public func upsert(_ campaign: Campaign) async throws(DiallerError) {
        try campaign.validate()
        var binds = PostgresBindings()
        binds.append(campaign.id)
        binds.append(campaign.clientID)
        binds.append(campaign.botID)
        binds.append(campaign.fromNumber)
        binds.append(campaign.account)
        binds.append(campaign.maxConcurrent)
        binds.append(campaign.retry.maxAttempts)
        binds.append(Self.milliseconds(campaign.retry.baseDelay))
        binds.append(Self.milliseconds(campaign.retry.maxDelay))
        binds.append(campaign.window.startMinute)
        binds.append(campaign.window.endMinute)
        binds.append(campaign.window.timeZone.identifier)
        binds.append(campaign.machineDetection)
        binds.append(campaign.paused)
        try await execute(schema.upsertCampaignSQL, binds)
    }

    /// All campaigns.
    public func campaigns() async throws(DiallerError) -> [Campaign] {
        typealias Row = (String, String, String, String, String, Int?, Int, Int, Int, Int, Int, String, Bool, Bool)
        let rows = try await all(schema.listCampaignsSQL, PostgresBindings(), as: Row.self)
        return rows.map { row in
            let (id, client, bot, from, account, maxConcurrent, maxAttempts, baseMS, maxMS, start, end, zone, amd, paused) = row
            return Campaign(
                id: id, clientID: client, botID: bot, fromNumber: from, account: account, maxConcurrent: maxConcurrent,
                retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: .milliseconds(baseMS), maxDelay: .milliseconds(maxMS)),
                window: CallingWindow(startMinute: start, endMinute: end, timeZone: TimeZone(identifier: zone) ?? .gmt),
                machineDetection: amd, paused: paused)
        }
    }

    /// Pauses or resumes a campaign.
    public func setPaused(campaignID: String, _ paused: Bool) async throws(DiallerError) {
        var binds = PostgresBindings()
        binds.append(campaignID)
        binds.append(paused)
        guard try await single(schema.setPausedSQL, binds, as: Int.self) != nil else { throw .unknownCampaign(campaignID) }
    }

    /// Adds leads to a campaign; leads whose id already exists are kept as they are.
    /// - Returns: How many were new.
    @discardableResult
    public func importLeads(_ leads: [LeadRecord], into campaignID: String) async throws(DiallerError) -> Int {
        try LeadImporter.validate(leads)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var data: [String] = []
        for lead in leads {
            guard let json = try? encoder.encode(lead.data) else { throw .invalidInput("lead \(lead.id): data cannot be encoded") }
            data.append(String(decoding: json, as: UTF8.self))
        }
        var binds = PostgresBindings()
        binds.append(campaignID)
        binds.append(leads.map(\.id))
        binds.append(leads.map(\.phone))
        binds.append(leads.map(\.priority))
        binds.append(data)
        return try await single(schema.importLeadsSQL, binds, as: Int.self) ?? 0
    }

    /// Due leads of a campaign, highest priority first.
    public func dueLeads(campaignID: String, limit: Int) async throws(DiallerError) -> [DueLead] {
        var binds = PostgresBindings()
        binds.append(campaignID)
        binds.append(limit)
        return try await all(schema.dueLeadsSQL, binds, as: (String, String, Int).self)
            .map { DueLead(leadID: $0.0, phone: $0.1, attempts: $0.2) }
    }

    // MARK: Attempts

    /// Starts an attempt: `pending` -> `dialing` when the lead still has `attempts` attempts.
    /// - Returns: The new attempt number, or nil when the lead changed meanwhile.
    public func beginAttempt(
        campaignID: String, leadID: String, attempts: Int, reservationID: UUID, holdExpiresAt: Date, workerID: String
    ) async throws(DiallerError) -> Int? {
        var binds = PostgresBindings()
        binds.append(campaignID)
        binds.append(leadID)
        binds.append(attempts)
        binds.append(reservationID)
        binds.append(holdExpiresAt)
        binds.append(workerID)
        return try await single(schema.beginAttemptSQL, binds, as: Int.self)
    }

    /// Stores the carrier's call id of an attempt.
    public func recordPlaced(reservationID: UUID, callSID: String) async throws(DiallerError) {
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(callSID)
        try await execute(schema.recordPlacedSQL, binds)
    }

    /// Stores a non-final status callback (newest sequence number wins).
    public func recordProgress(reservationID: UUID, status: String, sequence: Int, answeredBy: String?) async throws(DiallerError) {
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(status)
        binds.append(sequence)
        binds.append(answeredBy)
        try await execute(schema.recordProgressSQL, binds)
    }

    /// The lead and attempt of a reservation, or nil for a reservation the dialler never made.
    public func attempt(reservationID: UUID) async throws(DiallerError) -> AttemptRef? {
        var binds = PostgresBindings()
        binds.append(reservationID)
        guard let (campaign, lead, attempt, current, answeredBy) =
            try await single(schema.attemptSQL, binds, as: (String, String, Int, Bool?, String?).self) else { return nil }
        return AttemptRef(campaignID: campaign, leadID: lead, attempt: attempt, isCurrent: current ?? false, answeredBy: answeredBy)
    }

    /// `dialing` -> `pending` after `delay`, when `reservationID` is still the current attempt.
    /// - Parameter countAttempt: false gives the attempt back (rate limit, authentication).
    /// - Returns: Whether the lead changed (false: a duplicate event).
    public func retry(reservationID: UUID, after delay: Duration, countAttempt: Bool, status: String) async throws(DiallerError) -> Bool {
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(Self.milliseconds(delay))
        binds.append(countAttempt)
        binds.append(status)
        return try await single(schema.retrySQL, binds, as: String.self) != nil
    }

    /// Finishes the lead of `reservationID` with its one final outcome.
    /// - Parameter onlyCurrent: Only when `reservationID` is the lead's current attempt (callbacks);
    ///   false for a worker's result, which is final whenever it comes.
    /// - Returns: The lead's reservation before (to release), or nil when nothing changed.
    public func finalize(
        reservationID: UUID, outcome: LeadOutcome, detail: String, code: Int?, onlyCurrent: Bool
    ) async throws(DiallerError) -> (campaignID: String, leadID: String, previousReservation: UUID?)? {
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(outcome.rawValue)
        binds.append(detail)
        binds.append(code)
        binds.append(onlyCurrent)
        guard let (campaign, lead, previous) = try await single(schema.finalizeSQL, binds, as: (String, String, UUID?).self) else {
            return nil
        }
        return (campaign, lead, previous)
    }

    /// Dialing attempts whose hold lapsed more than `grace` ago: (reservation, attempt).
    public func lapsedAttempts(grace: Duration) async throws(DiallerError) -> [(UUID, Int)] {
        var binds = PostgresBindings()
        binds.append(Self.milliseconds(grace))
        return try await all(schema.stuckSQL, binds, as: (UUID, Int).self)
    }

    /// Restarts the result grace of a current attempt (its call was seen live, or completed).
    public func touch(reservationID: UUID) async throws(DiallerError) {
        var binds = PostgresBindings()
        binds.append(reservationID)
        try await execute(schema.touchSQL, binds)
    }

    /// Leads of a campaign that have no final outcome yet.
    public func remaining(campaignID: String) async throws(DiallerError) -> Int {
        var binds = PostgresBindings()
        binds.append(campaignID)
        return try await single(schema.remainingSQL, binds, as: Int.self) ?? 0
    }

    /// Lead counts of a campaign by outcome (done) or state (not done).
    public func summary(campaignID: String) async throws(DiallerError) -> [String: Int] {
        var binds = PostgresBindings()
        binds.append(campaignID)
        var result: [String: Int] = [:]
        for (key, count) in try await all(schema.summarySQL, binds, as: (String, Int).self) { result[key] = count }
        return result
    }

    /// Leads being dialled now, over all campaigns.
    public func dialingCount() async throws(DiallerError) -> Int {
        try await single(schema.dialingCountSQL, PostgresBindings(), as: Int.self) ?? 0
    }

    // MARK: Helpers

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }

    func execute(_ sql: String, _ binds: PostgresBindings) async throws(DiallerError) {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        } catch {
            throw Self.mapped(error)
        }
    }

    func single<each Column: PostgresDecodable>(
        _ sql: String, _ binds: PostgresBindings, as type: (repeat each Column).Type
    ) async throws(DiallerError) -> (repeat each Column)? {
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var first: (repeat each Column)?
            for try await row in rows where first == nil {
                first = try row.decode((repeat each Column).self)
            }
            return first
        } catch {
            throw Self.mapped(error)
        }
    }

    func all<each Column: PostgresDecodable>(
        _ sql: String, _ binds: PostgresBindings, as type: (repeat each Column).Type
    ) async throws(DiallerError) -> [(repeat each Column)] {
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var result: [(repeat each Column)] = []
            for try await row in rows { result.append(try row.decode((repeat each Column).self)) }
            return result
        } catch {
            throw Self.mapped(error)
        }
    }

    static func mapped(_ error: any Error) -> DiallerError {
        if let error = error as? DiallerError { return error }
        if let error = error as? PostgresTransactionError,
           let inner = error.closureError ?? error.beginError ?? error.commitError { return mapped(inner) }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                return .database("\(info[.sqlState] ?? "?????"): \(info[.message] ?? "unknown server error")")
            }
            return .database("\(error.code)")
        }
        return .database(String(describing: error))
    }
}
