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
/// - `reserve(...)`, `confirm(...)` and `release(...)`: PL/pgSQL functions, one round trip each, plans cached per session.
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
        ]
    }

    /// The reservation, as one PL/pgSQL function (one round trip, one transaction).
    ///
    /// Correctness under READ COMMITTED (see the README section for the full argument):
    /// 1. Quota rows are locked `FOR UPDATE` (blocking), client before campaign, so every
    ///    reservation of one client (or campaign) runs its check-and-insert one after another.
    /// 2. A VOLATILE PL/pgSQL function takes a fresh snapshot for every statement, so the
    ///    quota `count(*)` that runs after the lock sees every reservation committed by the
    ///    previous lock holder.
    /// 3. The slot is picked with `FOR UPDATE OF s SKIP LOCKED`: the row is locked, and if it
    ///    changed since the snapshot, PostgreSQL re-checks the WHERE clause on the newest
    ///    version (EvalPlanQual) and skips it when it is no longer free. Only the locker writes
    ///    the row, so one slot row never gets two reservations.
    /// 4. Lock order is quotas(client) -> quotas(campaign) -> slot (never waited on), and no
    ///    other statement waits on a quota row while holding a slot row: no deadlocks.
    private var reserveFunctionDefinition: String {
        let noRow = "NULL::uuid, NULL::text, NULL::integer, NULL::text, NULL::timestamptz"
        return """
        CREATE OR REPLACE FUNCTION \(reserveFunction)(
            p_client text, p_campaign text, p_labels jsonb, p_hold_us bigint, p_call_sid text)
        RETURNS TABLE (o_outcome text, o_limit integer, o_reservation_id uuid, o_worker_id text,
                       o_slot integer, o_stream_url text, o_expires_at timestamptz)
        LANGUAGE plpgsql VOLATILE
        -- Plans are cached per session: a custom plan per call would cost more CPU than the
        -- reservation itself. The generic plan must not depend on statistics (a fresh table
        -- looks empty), so sorts and bitmap scans are ruled out: the slot pick always walks
        -- slots_free_pick in order and stops at the first unlocked free slot.
        SET plan_cache_mode = force_generic_plan
        SET enable_sort = off
        SET enable_bitmapscan = off
        AS $fn$
        DECLARE
            v_limit integer;
            v_used bigint;
            v_now timestamptz;
            v_worker text;
            v_slot integer;
            v_url text;
            v_id uuid;
            v_expires timestamptz;
        BEGIN
            SELECT q.max_concurrent INTO v_limit FROM \(quotas) q
             WHERE q.scope = 'client' AND q.key = p_client
               FOR UPDATE;
            IF FOUND THEN
                v_now := clock_timestamp();
                SELECT count(*) INTO v_used FROM \(slots) s
                 WHERE s.client_id = p_client AND s.state <> 'free'
                   AND (s.state = 'active' OR s.expires_at > v_now);
                IF v_used >= v_limit THEN
                    RETURN QUERY SELECT 'client_quota'::text, v_limit, \(noRow);
                    RETURN;
                END IF;
            END IF;

            IF p_campaign IS NOT NULL THEN
                SELECT q.max_concurrent INTO v_limit FROM \(quotas) q
                 WHERE q.scope = 'campaign' AND q.key = p_campaign
                   FOR UPDATE;
                IF FOUND THEN
                    v_now := clock_timestamp();
                    SELECT count(*) INTO v_used FROM \(slots) s
                     WHERE s.campaign_id = p_campaign AND s.state <> 'free'
                       AND (s.state = 'active' OR s.expires_at > v_now);
                    IF v_used >= v_limit THEN
                        RETURN QUERY SELECT 'campaign_quota'::text, v_limit, \(noRow);
                        RETURN;
                    END IF;
                END IF;
            END IF;

            v_now := clock_timestamp();
            IF NOT EXISTS (SELECT 1 FROM \(workers) w
                            WHERE w.expires_at > v_now AND NOT w.draining
                              AND w.labels @> p_labels AND w.slots > 0) THEN
                RETURN QUERY SELECT 'no_worker'::text, NULL::integer, \(noRow);
                RETURN;
            END IF;
            v_id := gen_random_uuid();
            v_expires := v_now + p_hold_us * interval '1 microsecond';
            -- Pick and fill in one statement: the scalar sub-select runs first (an InitPlan),
            -- locks the chosen row and re-checks it on its newest version (EvalPlanQual);
            -- the UPDATE then writes the row this transaction holds locked. The worker test is a
            -- correlated sub-select rather than a join so that the plan stays "walk the partial
            -- index of free slots, stop at the first one" whatever the statistics say.
            UPDATE \(slots) u
               SET state = 'reserved', reservation_id = v_id, client_id = p_client,
                   campaign_id = p_campaign, call_sid = p_call_sid, reserved_at = v_now,
                   expires_at = v_expires, confirmed_at = NULL
             WHERE (u.worker_id, u.slot_no) = (
                   SELECT s.worker_id, s.slot_no
                     FROM \(slots) s
                    WHERE s.state = 'free'
                      AND (SELECT w.expires_at > v_now AND NOT w.draining
                                  AND w.labels @> p_labels AND s.slot_no < w.slots
                             FROM \(workers) w
                            WHERE w.worker_id = s.worker_id)
                    ORDER BY s.slot_no, s.worker_id
                    LIMIT 1
                      FOR UPDATE OF s SKIP LOCKED)
            RETURNING u.worker_id, u.slot_no INTO v_worker, v_slot;
            IF NOT FOUND THEN
                -- No free slot: take over the hold that expired first, if any.
                UPDATE \(slots) u
                   SET state = 'reserved', reservation_id = v_id, client_id = p_client,
                       campaign_id = p_campaign, call_sid = p_call_sid, reserved_at = v_now,
                       expires_at = v_expires, confirmed_at = NULL
                 WHERE (u.worker_id, u.slot_no) = (
                       SELECT s.worker_id, s.slot_no
                         FROM \(slots) s
                        WHERE s.state = 'reserved' AND s.expires_at <= v_now
                          AND (SELECT w.expires_at > v_now AND NOT w.draining
                                      AND w.labels @> p_labels AND s.slot_no < w.slots
                                 FROM \(workers) w
                                WHERE w.worker_id = s.worker_id)
                        ORDER BY s.expires_at
                        LIMIT 1
                          FOR UPDATE OF s SKIP LOCKED)
                RETURNING u.worker_id, u.slot_no INTO v_worker, v_slot;
            END IF;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'all_busy'::text, NULL::integer, \(noRow);
                RETURN;
            END IF;
            SELECT w.stream_url INTO v_url FROM \(workers) w WHERE w.worker_id = v_worker;
            RETURN QUERY SELECT 'reserved'::text, NULL::integer, v_id, v_worker, v_slot, v_url, v_expires;
        END
        $fn$
        """
    }

    /// Release, as a function so its plans are cached per session (it runs once per call).
    private var releaseFunctionDefinition: String {
        """
        CREATE OR REPLACE FUNCTION \(schema).release(p_reservation_id uuid)
        RETURNS boolean
        LANGUAGE plpgsql VOLATILE
        SET plan_cache_mode = force_generic_plan
        AS $fn$
        DECLARE
            v_live boolean;
        BEGIN
            SELECT s.state = 'active' OR s.expires_at > clock_timestamp() INTO v_live
              FROM \(slots) s
             WHERE s.reservation_id = p_reservation_id
               FOR UPDATE;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            UPDATE \(slots)
               SET \(freeSlotAssignments)
             WHERE reservation_id = p_reservation_id;
            RETURN v_live;
        END
        $fn$
        """
    }

    /// Confirmation, as a function that serialises with ``reserveFunctionDefinition``.
    ///
    /// A hold is confirmed only while it has not expired. Without the quota locks a confirm
    /// could race a reservation at the expiry boundary: the reservation counts the hold as
    /// expired (its clock is past `expires_at`), the confirm (whose clock was not) commits
    /// after that count, and the client or campaign ends up one over its quota. Taking the
    /// same quota row locks, in the same order (client, then campaign), makes the two run one
    /// after the other, and the expiry check here uses a clock read after the locks.
    private var confirmFunctionDefinition: String {
        """
        CREATE OR REPLACE FUNCTION \(schema).confirm(p_reservation_id uuid, p_call_sid text)
        RETURNS TABLE (o_outcome text, o_worker_id text, o_slot integer, o_client text,
                       o_campaign text, o_call_sid text)
        LANGUAGE plpgsql VOLATILE
        SET plan_cache_mode = force_generic_plan
        AS $fn$
        DECLARE
            v_client text;
            v_campaign text;
            v_now timestamptz;
        BEGIN
            SELECT s.client_id, s.campaign_id INTO v_client, v_campaign
              FROM \(slots) s WHERE s.reservation_id = p_reservation_id;
            IF NOT FOUND THEN
                RETURN;
            END IF;
            PERFORM 1 FROM \(quotas) q WHERE q.scope = 'client' AND q.key = v_client FOR UPDATE;
            IF v_campaign IS NOT NULL THEN
                PERFORM 1 FROM \(quotas) q WHERE q.scope = 'campaign' AND q.key = v_campaign FOR UPDATE;
            END IF;
            v_now := clock_timestamp();
            RETURN QUERY
            UPDATE \(slots) s
               SET state = 'active', confirmed_at = v_now, expires_at = NULL,
                   call_sid = coalesce(p_call_sid, s.call_sid)
             WHERE s.reservation_id = p_reservation_id AND s.state = 'reserved' AND s.expires_at > v_now
            RETURNING 'confirmed'::text, s.worker_id, s.slot_no, s.client_id, s.campaign_id, s.call_sid;
            IF FOUND THEN
                RETURN;
            END IF;
            RETURN QUERY
            SELECT CASE WHEN s.state = 'active' THEN 'active'
                        WHEN s.state = 'reserved' AND s.expires_at <= v_now THEN 'expired'
                        ELSE 'not_found' END,
                   s.worker_id, s.slot_no, s.client_id, s.campaign_id, s.call_sid
              FROM \(slots) s
             WHERE s.reservation_id = p_reservation_id;
        END
        $fn$
        """
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

    private var freeSlotAssignments: String {
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
