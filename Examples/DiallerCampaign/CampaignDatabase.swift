import CallCapacity
import Foundation
import Logging
import PostgresNIO

/// The driver's read-only view of PostgreSQL: the capacity registry (through
/// ``PostgresCapacityRegistry``) and the dialler's tables (plain SELECTs).
struct CampaignDatabase: Sendable {
    struct LeadRow: Sendable {
        var campaign: String
        var lead: String
        var phone: String
        var state: String
        var outcome: String
        var detail: String
        var errorCode: Int?
        var attempts: Int
    }

    struct AttemptRow: Sendable {
        var reservationID: String
        var campaign: String
        var lead: String
        var attempt: Int
        var worker: String
        var callSID: String
        var status: String
        var answeredBy: String
        var startedAtMs: Int64
    }

    struct OutcomeRow: Sendable {
        var campaign: String
        var lead: String
        var outcome: String
        var detail: String
        var errorCode: Int?
        var attempts: Int
        var reservationID: String
    }

    let client: PostgresClient
    let registry: PostgresCapacityRegistry
    let capacitySchema: String
    let diallerSchema: String
    let logger: Logger

    init(url: String, capacitySchema: String, diallerSchema: String, logger: Logger) throws {
        client = PostgresClient(configuration: try PostgresCapacityConfiguration.clientConfiguration(url: url), backgroundLogger: logger)
        registry = try PostgresCapacityRegistry(client: client, schema: capacitySchema, logger: logger)
        self.capacitySchema = capacitySchema
        self.diallerSchema = diallerSchema
        self.logger = logger
    }

    private var d: String { "\"\(diallerSchema)\"" }
    private var c: String { "\"\(capacitySchema)\"" }

    func leads() async throws -> [LeadRow] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT campaign_id, lead_id, phone, state, coalesce(outcome, ''), coalesce(outcome_detail, ''), error_code, attempts
              FROM \(d).leads ORDER BY campaign_id, lead_id
            """), logger: logger)
        var result: [LeadRow] = []
        for try await (campaign, lead, phone, state, outcome, detail, code, attempts) in rows.decode((String, String, String, String, String, String, Int?, Int).self) {
            result.append(LeadRow(campaign: campaign, lead: lead, phone: phone, state: state, outcome: outcome, detail: detail, errorCode: code, attempts: attempts))
        }
        return result
    }

    func attempts() async throws -> [AttemptRow] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT reservation_id::text, campaign_id, lead_id, attempt, worker_id, coalesce(call_sid, ''), coalesce(status, ''),
                   coalesce(answered_by, ''), (extract(epoch from started_at) * 1000)::bigint
              FROM \(d).attempts ORDER BY started_at
            """), logger: logger)
        var result: [AttemptRow] = []
        for try await (reservation, campaign, lead, attempt, worker, sid, status, answeredBy, started) in rows.decode(
            (String, String, String, Int, String, String, String, String, Int64).self)
        {
            result.append(AttemptRow(
                reservationID: reservation, campaign: campaign, lead: lead, attempt: attempt, worker: worker, callSID: sid,
                status: status, answeredBy: answeredBy, startedAtMs: started))
        }
        return result
    }

    func outcomes() async throws -> [OutcomeRow] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT campaign_id, lead_id, outcome, coalesce(detail, ''), error_code, attempts, coalesce(reservation_id::text, '')
              FROM \(d).outcomes
            """), logger: logger)
        var result: [OutcomeRow] = []
        for try await (campaign, lead, outcome, detail, code, attempts, reservation) in rows.decode((String, String, String, String, Int?, Int, String).self) {
            result.append(OutcomeRow(campaign: campaign, lead: lead, outcome: outcome, detail: detail, errorCode: code, attempts: attempts, reservationID: reservation))
        }
        return result
    }

    /// Leads without a final outcome.
    func remaining() async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(d).leads WHERE state <> 'done'"), logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return -1
    }

    /// A worker's slots in use: (reservation id, state).
    func slotsInUse(worker: String) async throws -> [(String, String)] {
        var binds = PostgresBindings()
        binds.append(worker)
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT reservation_id::text, state FROM \(c).slots WHERE worker_id = $1 AND state <> 'free' ORDER BY slot_no
            """, binds: binds), logger: logger)
        var result: [(String, String)] = []
        for try await (reservation, state) in rows.decode((String, String).self) { result.append((reservation, state)) }
        return result
    }
}
