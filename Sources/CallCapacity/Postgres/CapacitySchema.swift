/// The SQL of the PostgreSQL backend: identifiers qualified with the configured schema,
/// the versioned migrations, and the statements the registry runs.
///
/// Objects (all inside the schema, default `call_capacity`):
/// - `schema_migrations(version, name, applied_at)`: applied migrations.
/// - `workers`: one row per worker: stream URL, slot count, labels (jsonb), drain flag, TTL and lease expiry.
/// - `slots`: one row per (worker, slot index): `free`, `reserved` (with `expires_at`) or `active`,
///   plus the reservation id, client, campaign and call id. One row can hold at most one
///   reservation, so a worker can never hold more reservations + calls than it has slot rows.
/// - `quotas(scope, key, max_concurrent)`: per-client and per-campaign limits.
/// - `attachments(reservation_id, fingerprint, worker_id, call_sid, ...)`: `/attach` claims (``AttachClaimRegistry``).
/// - `reserve(...)`, `confirm(...)`, `claim(...)` and `release(...)`: PL/pgSQL functions, one round trip each, plans cached per session.
struct CapacitySchema: Sendable {
    /// The quoted schema name, e.g. `"call_capacity"`.
    let schema: String
    /// The unquoted schema name.
    let name: String

    init(name: String) throws(CapacityError) {
        guard Self.isValidIdentifier(name) else {
            throw .invalidArgument("schema name must match [a-z_][a-z0-9_]{0,62}, got \(name)")
        }
        self.name = name
        self.schema = "\"\(name)\""
    }

    static func isValidIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        let isLower: (Unicode.Scalar) -> Bool = { $0 >= "a" && $0 <= "z" }
        let isDigit: (Unicode.Scalar) -> Bool = { $0 >= "0" && $0 <= "9" }
        guard isLower(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { isLower($0) || isDigit($0) || $0 == "_" }
    }

    var workers: String { "\(schema).workers" }
    var slots: String { "\(schema).slots" }
    var quotas: String { "\(schema).quotas" }
    var migrationsTable: String { "\(schema).schema_migrations" }
    var reserveFunction: String { "\(schema).reserve" }

    /// One migration: a version, a name and the statements it runs (one statement each,
    /// because the extended query protocol runs one statement per query).
    struct Migration: Sendable {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// Statements run before the migrations, inside the same locked transaction.
    var bootstrap: [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(schema)",
            """
            CREATE TABLE IF NOT EXISTS \(migrationsTable) (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
        ]
    }

    /// All migrations in order. Never edit a released migration; append a new one.
    var migrations: [Migration] {
        [
            Migration(version: 1, name: "workers, slots and quotas", statements: [
                """
                CREATE TABLE \(workers) (
                    worker_id text PRIMARY KEY,
                    stream_url text NOT NULL,
                    slots integer NOT NULL CHECK (slots >= 0),
                    labels jsonb NOT NULL DEFAULT '{}'::jsonb,
                    draining boolean NOT NULL DEFAULT false,
                    ttl interval NOT NULL,
                    registered_at timestamptz NOT NULL,
                    heartbeat_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE \(slots) (
                    worker_id text NOT NULL REFERENCES \(workers) (worker_id) ON DELETE CASCADE,
                    slot_no integer NOT NULL CHECK (slot_no >= 0),
                    state text NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'reserved', 'active')),
                    reservation_id uuid,
                    client_id text,
                    campaign_id text,
                    call_sid text,
                    reserved_at timestamptz,
                    expires_at timestamptz,
                    confirmed_at timestamptz,
                    PRIMARY KEY (worker_id, slot_no),
                    CHECK ((state = 'free') = (reservation_id IS NULL)),
                    CHECK (state <> 'reserved' OR expires_at IS NOT NULL)
                )
                """,
                "CREATE UNIQUE INDEX slots_reservation_id ON \(slots) (reservation_id) WHERE reservation_id IS NOT NULL",
                "CREATE INDEX slots_client ON \(slots) (client_id) WHERE state <> 'free'",
                "CREATE INDEX slots_campaign ON \(slots) (campaign_id) WHERE state <> 'free'",
                // Free slots in pick order (lowest slot index first spreads calls over workers),
                // and unconfirmed holds by expiry, so a reservation never walks busy slots.
                "CREATE INDEX slots_free_pick ON \(slots) (slot_no, worker_id) WHERE state = 'free'",
                "CREATE INDEX slots_hold_expiry ON \(slots) (expires_at) WHERE state = 'reserved'",
                """
                CREATE TABLE \(quotas) (
                    scope text NOT NULL CHECK (scope IN ('client', 'campaign')),
                    key text NOT NULL,
                    max_concurrent integer NOT NULL CHECK (max_concurrent >= 0),
                    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (scope, key)
                )
                """,
            ]),
            Migration(version: 2, name: "reserve and release functions", statements: [
                reserveFunctionDefinition, releaseFunctionDefinition,
            ]),
            Migration(version: 3, name: "confirm takes the quota locks", statements: [
                confirmFunctionDefinition,
            ]),
            Migration(version: 4, name: "claim a slot for an unreserved call", statements: [
                claimFunctionDefinition,
            ]),
            Migration(version: 5, name: "attach claims: the placed call of each reservation", statements: attachMigrationStatements),
        ]
    }

    // MARK: Statements (the registry binds $n parameters)

    /// $1 worker, $2 url, $3 slots, $4 labels json, $5 draining, $6 ttl µs -> expires_at
    var registerSQL: String {
        """
        WITH w AS (
            INSERT INTO \(workers) AS w (worker_id, stream_url, slots, labels, draining, ttl,
                                         registered_at, heartbeat_at, expires_at)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6 * interval '1 microsecond',
                    clock_timestamp(), clock_timestamp(), clock_timestamp() + $6 * interval '1 microsecond')
            ON CONFLICT (worker_id) DO UPDATE
               SET stream_url = EXCLUDED.stream_url, slots = EXCLUDED.slots, labels = EXCLUDED.labels,
                   draining = EXCLUDED.draining, ttl = EXCLUDED.ttl,
                   heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at
            RETURNING w.worker_id, w.slots, w.expires_at
        ), new_slots AS (
            INSERT INTO \(slots) (worker_id, slot_no)
            SELECT w.worker_id, g FROM w, generate_series(0, w.slots - 1) AS g
            ON CONFLICT DO NOTHING
        )
        SELECT expires_at FROM w
        """
    }

    /// $1 worker -> expires_at
    var heartbeatSQL: String {
        """
        UPDATE \(workers) SET heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + ttl
         WHERE worker_id = $1
        RETURNING expires_at
        """
    }

    /// $1 worker -> 1 row when deleted
    var deregisterSQL: String { "DELETE FROM \(workers) WHERE worker_id = $1 RETURNING 1" }

    var freeSlotAssignments: String {
        """
        state = 'free', reservation_id = NULL, client_id = NULL, campaign_id = NULL, call_sid = NULL,
        reserved_at = NULL, expires_at = NULL, confirmed_at = NULL
        """
    }

    /// $1 worker -> (worker exists count, live freed count)
    var releaseAllSQL: String {
        """
        WITH old AS (
            SELECT s.worker_id, s.slot_no, (s.state = 'active' OR s.expires_at > clock_timestamp()) AS live
              FROM \(slots) s
             WHERE s.worker_id = $1 AND s.state <> 'free'
             ORDER BY s.slot_no
               FOR UPDATE
        ), freed AS (
            UPDATE \(slots) s SET \(freeSlotAssignments)
              FROM old WHERE s.worker_id = old.worker_id AND s.slot_no = old.slot_no
            RETURNING old.live
        )
        SELECT (SELECT count(*) FROM \(workers) WHERE worker_id = $1),
               (SELECT count(*) FROM freed WHERE live)
        """
    }

    /// $1 client, $2 campaign, $3 labels json, $4 hold µs, $5 call sid
    var reserveSQL: String {
        """
        SELECT o_outcome, o_limit, o_reservation_id, o_worker_id, o_slot, o_stream_url, o_expires_at
          FROM \(reserveFunction)($1, $2, $3::jsonb, $4, $5)
        """
    }

    /// $1 reservation id, $2 call sid -> (outcome, worker, slot, client, campaign, call sid)
    var confirmSQL: String {
        """
        SELECT o_outcome, o_worker_id, o_slot, o_client, o_campaign, o_call_sid
          FROM \(schema).confirm($1, $2)
        """
    }

    /// $1 reservation id -> whether a live reservation or call was freed (NULL when unknown)
    var releaseSQL: String { "SELECT \(schema).release($1)" }

    /// $1 worker, $2 draining -> 1 row when found
    var setDrainingSQL: String { "UPDATE \(workers) SET draining = $2 WHERE worker_id = $1 RETURNING 1" }

    /// $1 scope, $2 key, $3 max
    var upsertQuotaSQL: String {
        """
        INSERT INTO \(quotas) (scope, key, max_concurrent) VALUES ($1, $2, $3)
        ON CONFLICT (scope, key) DO UPDATE SET max_concurrent = EXCLUDED.max_concurrent, updated_at = clock_timestamp()
        """
    }

    /// $1 scope, $2 key
    var deleteQuotaSQL: String { "DELETE FROM \(quotas) WHERE scope = $1 AND key = $2" }

    var listQuotasSQL: String { "SELECT scope, key, max_concurrent FROM \(quotas) ORDER BY scope, key" }

    var listWorkersSQL: String {
        """
        WITH t AS (SELECT clock_timestamp() AS now)
        SELECT w.worker_id, w.stream_url, w.labels::text, w.slots, w.draining, w.expires_at,
               w.expires_at > t.now AS alive,
               count(s.slot_no) FILTER (WHERE s.state = 'reserved' AND s.expires_at > t.now) AS reserved,
               count(s.slot_no) FILTER (WHERE s.state = 'active') AS active
          FROM t, \(workers) w
          LEFT JOIN \(slots) s ON s.worker_id = w.worker_id
         GROUP BY w.worker_id, t.now
         ORDER BY w.worker_id
        """
    }

    var usageSQL: String {
        """
        SELECT s.client_id, s.campaign_id, count(*)
          FROM \(slots) s
         WHERE s.state = 'active' OR (s.state = 'reserved' AND s.expires_at > clock_timestamp())
         GROUP BY s.client_id, s.campaign_id
        """
    }

    /// $1 grace µs -> removed worker ids
    var removeExpiredSQL: String {
        """
        DELETE FROM \(workers)
         WHERE expires_at < clock_timestamp() - $1 * interval '1 microsecond'
        RETURNING worker_id
        """
    }
}
