import Foundation
import Logging
import PostgresNIO

/// A fleet-wide ``CapacityRegistry`` on PostgreSQL (postgres-nio).
///
/// Every decision that involves time (lease and hold expiry) uses the database's
/// `clock_timestamp()`, never the caller's clock, so workers and diallers with skewed clocks
/// cannot double-book. A reservation is one call of a PL/pgSQL function: one round trip and one
/// transaction that locks the quota rows it needs, counts, and locks and fills one slot row
/// (`FOR UPDATE SKIP LOCKED`). See ``CapacitySchema`` and the README for why this is correct under
/// READ COMMITTED.
///
/// The caller owns the `PostgresClient` and must keep its `run()` going. Call ``migrate()``
/// once at start-up (it is idempotent and safe to run from many processes at once).
///
/// ```swift
/// let client = PostgresClient(configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url),
///                             backgroundLogger: logger)
/// async let run: Void = client.run()
/// let registry = try PostgresCapacityRegistry(client: client, logger: logger)
/// try await registry.migrate()
/// ```
public struct PostgresCapacityRegistry: CapacityRegistry {
    private let client: PostgresClient
    let schema: CapacitySchema
    private let logger: Logger
    private let jsonEncoder: JSONEncoder

    /// The schema version this library migrates to.
    public static var latestSchemaVersion: Int {
        (try? CapacityMigrator(schema: CapacitySchema(name: "call_capacity")).latestVersion) ?? 0
    }

    /// Whether `name` can be used as the registry's schema: lowercase letters, digits and `_`,
    /// not starting with a digit, at most 63 characters.
    public static func isValidSchemaName(_ name: String) -> Bool {
        CapacitySchema.isValidIdentifier(name)
    }

    /// Creates a registry on a client.
    /// - Parameters:
    ///   - client: A running (or soon running) `PostgresClient`.
    ///   - schema: The PostgreSQL schema that holds the registry's tables (created by ``migrate()``);
    ///     lowercase letters, digits and `_`. Several fleets can share a database with different schemas.
    ///   - logger: Logger for registry events.
    /// - Throws: ``CapacityError/invalidArgument(_:)`` for a bad schema name.
    public init(client: PostgresClient, schema: String = "call_capacity", logger: Logger) throws(CapacityError) {
        self.client = client
        self.schema = try CapacitySchema(name: schema)
        self.logger = logger
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.jsonEncoder = encoder
    }

    /// Creates or upgrades the schema. Idempotent.
    /// - Returns: The migration versions applied by this call (empty when up to date).
    @discardableResult
    public func migrate() async throws(CapacityError) -> [Int] {
        let applied = try await CapacityMigrator(schema: schema).migrate(client: client, logger: logger)
        logger.info("call-capacity schema ready", metadata: [
            "schema": "\(schema.name)", "applied": "\(applied)",
        ])
        return applied
    }

    // MARK: Workers

    /// See ``CapacityRegistry/register(_:)``.
    @discardableResult
    public func register(_ registration: WorkerRegistration) async throws(CapacityError) -> Date {
        try registration.validate()
        var binds = PostgresBindings()
        binds.append(registration.workerID)
        binds.append(registration.streamURL)
        binds.append(registration.slots)
        binds.append(try encode(registration.labels))
        binds.append(registration.draining)
        binds.append(Int(registration.ttl.microseconds))
        let expires = try await single(schema.registerSQL, binds, as: Date.self)
        guard let expires else { throw .database(message: "register returned no row") }
        logger.info("worker registered", metadata: [
            "worker_id": "\(registration.workerID)", "slots": "\(registration.slots)",
            "stream_url": "\(registration.streamURL)", "lease_expires_at": "\(expires)",
        ])
        return expires
    }

    /// See ``CapacityRegistry/heartbeat(workerID:)``.
    @discardableResult
    public func heartbeat(workerID: String) async throws(CapacityError) -> Date {
        var binds = PostgresBindings()
        binds.append(workerID)
        guard let expires = try await single(schema.heartbeatSQL, binds, as: Date.self) else {
            logger.warning("heartbeat of unknown worker", metadata: ["worker_id": "\(workerID)"])
            throw .workerNotFound(workerID: workerID)
        }
        return expires
    }

    /// See ``CapacityRegistry/deregister(workerID:)``.
    @discardableResult
    public func deregister(workerID: String) async throws(CapacityError) -> Bool {
        var binds = PostgresBindings()
        binds.append(workerID)
        let found = try await single(schema.deregisterSQL, binds, as: Int.self) != nil
        if found { logger.info("worker deregistered", metadata: ["worker_id": "\(workerID)"]) }
        return found
    }

    /// See ``CapacityRegistry/releaseAll(workerID:)``.
    @discardableResult
    public func releaseAll(workerID: String) async throws(CapacityError) -> Int {
        var binds = PostgresBindings()
        binds.append(workerID)
        guard let (exists, freed) = try await single(schema.releaseAllSQL, binds, as: (Int, Int).self), exists > 0 else {
            throw .workerNotFound(workerID: workerID)
        }
        logger.info("released all calls of worker", metadata: ["worker_id": "\(workerID)", "freed": "\(freed)"])
        return freed
    }

    /// See ``CapacityRegistry/setDraining(workerID:_:)``.
    public func setDraining(workerID: String, _ draining: Bool) async throws(CapacityError) {
        var binds = PostgresBindings()
        binds.append(workerID)
        binds.append(draining)
        guard try await single(schema.setDrainingSQL, binds, as: Int.self) != nil else {
            throw .workerNotFound(workerID: workerID)
        }
        logger.info(draining ? "worker draining" : "worker undrained", metadata: ["worker_id": "\(workerID)"])
    }

    /// See ``CapacityRegistry/removeExpiredWorkers(gracePeriod:)``.
    @discardableResult
    public func removeExpiredWorkers(gracePeriod: Duration) async throws(CapacityError) -> [String] {
        var binds = PostgresBindings()
        binds.append(Int(gracePeriod.microseconds))
        let ids: [String] = try await all(schema.removeExpiredSQL, binds, as: String.self)
        let removed = ids.sorted()
        if !removed.isEmpty {
            logger.info("removed expired workers", metadata: ["worker_ids": "\(removed)"])
        }
        return removed
    }

    // MARK: Reservations

    /// See ``CapacityRegistry/reserve(_:)``.
    public func reserve(_ request: ReservationRequest) async throws(CapacityError) -> ReservationOutcome {
        try request.validate()
        var log = logger
        log[metadataKey: "client_id"] = "\(request.clientID)"
        if let campaignID = request.campaignID { log[metadataKey: "campaign_id"] = "\(campaignID)" }
        if let callSID = request.callSID { log[metadataKey: "call_sid"] = "\(callSID)" }

        var binds = PostgresBindings()
        binds.append(request.clientID)
        binds.append(request.campaignID)
        binds.append(try encode(request.requiredLabels))
        binds.append(Int(request.hold.microseconds))
        binds.append(request.callSID)
        typealias Row = (String, Int?, UUID?, String?, Int?, String?, Date?)
        guard let row = try await single(schema.reserveSQL, binds, as: Row.self) else {
            throw .database(message: "reserve returned no row")
        }
        let (outcome, limit, id, workerID, slot, url, expires) = row
        switch outcome {
        case "reserved":
            guard let id, let workerID, let slot, let url, let expires else {
                throw .database(message: "reserve returned an incomplete row")
            }
            log.debug("slot reserved", metadata: [
                "reservation_id": "\(id)", "worker_id": "\(workerID)", "slot": "\(slot)",
            ])
            return .reserved(Reservation(
                id: id, workerID: workerID, streamURL: url, slot: slot,
                clientID: request.clientID, campaignID: request.campaignID, expiresAt: expires
            ))
        case "client_quota":
            log.info("reservation refused", metadata: ["reason": "client_quota_reached"])
            return .noCapacity(.clientQuotaReached(clientID: request.clientID, limit: limit ?? 0))
        case "campaign_quota":
            log.info("reservation refused", metadata: ["reason": "campaign_quota_reached"])
            return .noCapacity(.campaignQuotaReached(campaignID: request.campaignID ?? "", limit: limit ?? 0))
        case "all_busy":
            log.info("reservation refused", metadata: ["reason": "all_slots_busy"])
            return .noCapacity(.allSlotsBusy)
        case "no_worker":
            log.info("reservation refused", metadata: ["reason": "no_eligible_worker"])
            return .noCapacity(.noEligibleWorker)
        default:
            throw .database(message: "reserve returned unknown outcome \(outcome)")
        }
    }

    /// See ``CapacityRegistry/claim(workerID:callSID:clientID:campaignID:)``.
    public func claim(workerID: String, callSID: String, clientID: String, campaignID: String?) async throws(CapacityError) -> ClaimOutcome {
        try InMemoryCapacityRegistry.validateClaim(workerID: workerID, callSID: callSID, clientID: clientID, campaignID: campaignID)
        var binds = PostgresBindings()
        binds.append(workerID)
        binds.append(callSID)
        binds.append(clientID)
        binds.append(campaignID)
        typealias Row = (String, UUID?, Int?, Int?, String?, String?)
        guard let (outcome, id, slot, slots, client, campaign) = try await single(schema.claimSQL, binds, as: Row.self) else {
            throw .database(message: "claim returned no row")
        }
        let metadata: Logger.Metadata = ["worker_id": "\(workerID)", "call_sid": "\(callSID)"]
        switch outcome {
        case "claimed", "active":
            guard let id, let slot, let client else { throw .database(message: "claim returned an incomplete row") }
            logger.debug("slot claimed", metadata: metadata.merging(["reservation_id": "\(id)", "slot": "\(slot)"]) { $1 })
            return .claimed(ActiveCall(reservationID: id, workerID: workerID, slot: slot,
                                       clientID: client, campaignID: campaign, callSID: callSID))
        case "no_worker":
            throw .workerNotFound(workerID: workerID)
        case "expired":
            logger.info("claim refused", metadata: metadata.merging(["reason": "lease_expired"]) { $1 })
            return .refused(.leaseExpired)
        case "draining":
            logger.info("claim refused", metadata: metadata.merging(["reason": "draining"]) { $1 })
            return .refused(.draining)
        case "full":
            logger.info("claim refused", metadata: metadata.merging(["reason": "full"]) { $1 })
            return .refused(.full(slots: slots ?? 0))
        default:
            throw .database(message: "claim returned unknown outcome \(outcome)")
        }
    }

    /// See ``CapacityRegistry/lookup(reservationID:)``.
    public func lookup(reservationID: UUID) async throws(CapacityError) -> ReservationLookup? {
        var binds = PostgresBindings()
        binds.append(reservationID)
        guard let (state, workerID, alive) = try await single(schema.lookupSQL, binds, as: (String, String, Bool).self) else {
            return nil
        }
        return ReservationLookup(state: ReservationLookup.State(rawValue: state) ?? .lapsed, workerID: workerID, workerAlive: alive)
    }

    /// See ``CapacityRegistry/confirm(reservationID:callSID:)``.
    @discardableResult
    public func confirm(reservationID: UUID, callSID: String?) async throws(CapacityError) -> ActiveCall {
        var metadata: Logger.Metadata = ["reservation_id": "\(reservationID)"]
        if let callSID { metadata["call_sid"] = "\(callSID)" }
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(callSID)
        typealias Row = (String, String, Int, String, String?, String?)
        guard let (outcome, workerID, slot, clientID, campaignID, storedSID) =
            try await single(schema.confirmSQL, binds, as: Row.self)
        else {
            logger.warning("confirm of unknown reservation", metadata: metadata)
            throw .reservationNotFound(id: reservationID)
        }
        switch outcome {
        case "confirmed", "active":
            logger.debug("reservation confirmed", metadata: metadata.merging(["worker_id": "\(workerID)"]) { $1 })
            return ActiveCall(
                reservationID: reservationID, workerID: workerID, slot: slot,
                clientID: clientID, campaignID: campaignID, callSID: storedSID
            )
        case "expired":
            logger.warning("confirm of expired reservation", metadata: metadata)
            throw .reservationExpired(id: reservationID)
        default:
            logger.warning("confirm of unknown reservation", metadata: metadata)
            throw .reservationNotFound(id: reservationID)
        }
    }

    /// See ``CapacityRegistry/release(reservationID:)``.
    @discardableResult
    public func release(reservationID: UUID) async throws(CapacityError) -> Bool {
        var binds = PostgresBindings()
        binds.append(reservationID)
        let result = try await single(schema.releaseSQL, binds, as: Bool?.self)
        let wasLive = (result ?? nil) ?? false
        logger.debug("reservation released", metadata: ["reservation_id": "\(reservationID)", "was_live": "\(wasLive)"])
        return wasLive
    }

    // MARK: Quotas and inspection

    /// See ``CapacityRegistry/setQuota(_:maxConcurrent:)``.
    public func setQuota(_ scope: QuotaScope, maxConcurrent: Int?) async throws(CapacityError) {
        if scope.key.isEmpty { throw .invalidArgument("quota id must not be empty") }
        var binds = PostgresBindings()
        binds.append(scope.kind)
        binds.append(scope.key)
        if let maxConcurrent {
            if maxConcurrent < 0 { throw .invalidArgument("quota must be >= 0, got \(maxConcurrent)") }
            binds.append(maxConcurrent)
            try await execute(schema.upsertQuotaSQL, binds)
        } else {
            try await execute(schema.deleteQuotaSQL, binds)
        }
        logger.info("quota set", metadata: [
            "scope": "\(scope)", "max_concurrent": "\(maxConcurrent.map(String.init) ?? "none")",
        ])
    }

    /// See ``CapacityRegistry/quotas()``.
    public func quotas() async throws(CapacityError) -> [QuotaScope: Int] {
        let rows = try await all(schema.listQuotasSQL, PostgresBindings(), as: (String, String, Int).self)
        var result: [QuotaScope: Int] = [:]
        for (kind, key, limit) in rows {
            result[kind == "client" ? .client(key) : .campaign(key)] = limit
        }
        return result
    }

    /// See ``CapacityRegistry/workers()``.
    public func workers() async throws(CapacityError) -> [WorkerStatus] {
        typealias Row = (String, String, String, Int, Bool, Date, Bool, Int, Int)
        let rows = try await all(schema.listWorkersSQL, PostgresBindings(), as: Row.self)
        var result: [WorkerStatus] = []
        result.reserveCapacity(rows.count)
        for (id, url, labelsJSON, slots, draining, expires, alive, reserved, active) in rows {
            let labels = (try? JSONDecoder().decode([String: String].self, from: Data(labelsJSON.utf8))) ?? [:]
            result.append(WorkerStatus(
                workerID: id, streamURL: url, labels: labels, slots: slots, reserved: reserved, active: active,
                state: !alive ? .expired : (draining ? .draining : .available), leaseExpiresAt: expires
            ))
        }
        return result
    }

    /// See ``CapacityRegistry/usage()``.
    public func usage() async throws(CapacityError) -> CapacityUsage {
        let rows = try await all(schema.usageSQL, PostgresBindings(), as: (String?, String?, Int).self)
        var usage = CapacityUsage()
        for (client, campaign, count) in rows {
            if let client { usage.byClient[client, default: 0] += count }
            if let campaign { usage.byCampaign[campaign, default: 0] += count }
        }
        return usage
    }

    // MARK: Query helpers

    private func encode(_ labels: [String: String]) throws(CapacityError) -> String {
        do {
            return String(decoding: try jsonEncoder.encode(labels), as: UTF8.self)
        } catch {
            throw .invalidArgument("labels cannot be encoded: \(error)")
        }
    }

    func execute(_ sql: String, _ binds: PostgresBindings) async throws(CapacityError) {
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        } catch {
            throw mapped(error)
        }
    }

    func single<each Column: PostgresDecodable>(
        _ sql: String, _ binds: PostgresBindings, as type: (repeat each Column).Type
    ) async throws(CapacityError) -> (repeat each Column)? {
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var first: (repeat each Column)?
            for try await row in rows {
                if first == nil { first = try row.decode((repeat each Column).self) }
            }
            return first
        } catch {
            throw mapped(error)
        }
    }

    private func all<each Column: PostgresDecodable>(
        _ sql: String, _ binds: PostgresBindings, as type: (repeat each Column).Type
    ) async throws(CapacityError) -> [(repeat each Column)] {
        do {
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var result: [(repeat each Column)] = []
            for try await row in rows {
                result.append(try row.decode((repeat each Column).self))
            }
            return result
        } catch {
            throw mapped(error)
        }
    }

    private func mapped(_ error: any Error) -> CapacityError {
        let capacityError = PostgresErrorMapping.map(error)
        if capacityError != .cancelled {
            logger.error("call-capacity query failed", metadata: ["error": "\(capacityError)"])
        }
        return capacityError
    }
}
