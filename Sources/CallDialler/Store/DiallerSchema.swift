/// The dialler's tables in its own PostgreSQL schema (default `call_dialler`), and their migrations.
///
/// - `campaigns`: one row per campaign (caller id, bot, account, quota, retries, window, paused).
/// - `leads`: one row per lead: `pending` (due at `next_attempt_at`), `dialing` (the current
///   attempt's `reservation_id`, `call_sid`, `hold_expires_at`) or `done` (its `outcome`).
///   Every transition is one guarded UPDATE (state + reservation id or attempt count), so a
///   duplicate callback or result changes nothing.
/// - `attempts`: one row per placed attempt, keyed by its reservation id (callbacks and results
///   find their lead through it).
/// - `outcomes`: the final outcome of each lead, primary key (campaign, lead): written in the
///   same statement as the `done` transition, so a second final outcome cannot exist.
struct DiallerSchema: Sendable {
    let schema: String
    let name: String

    init(name: String) throws(DiallerError) {
        let valid = name.unicodeScalars.first.map { ("a"..."z").contains($0) || $0 == "_" } ?? false
            && name.count <= 63
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard valid else { throw .invalidInput("schema name must match [a-z_][a-z0-9_]{0,62}, got \(name)") }
        self.name = name
        self.schema = "\"\(name)\""
    }

    var campaigns: String { "\(schema).campaigns" }
    var leads: String { "\(schema).leads" }
    var attempts: String { "\(schema).attempts" }
    var outcomes: String { "\(schema).outcomes" }
    var migrationsTable: String { "\(schema).schema_migrations" }

    var bootstrap: [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(schema)",
            """
            CREATE TABLE IF NOT EXISTS \(migrationsTable) (
                version integer PRIMARY KEY, name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp())
            """,
        ]
    }

    /// All migrations in order. Never edit a released one; append.
    var migrations: [(version: Int, name: String, statements: [String])] {
        [
            (1, "campaigns, leads, attempts, outcomes", [
                """
                CREATE TABLE \(campaigns) (
                    campaign_id text PRIMARY KEY,
                    client_id text NOT NULL,
                    bot_id text NOT NULL,
                    from_number text NOT NULL,
                    account text NOT NULL,
                    max_concurrent integer CHECK (max_concurrent >= 0),
                    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
                    retry_base_ms bigint NOT NULL,
                    retry_max_ms bigint NOT NULL,
                    window_start_minute integer NOT NULL,
                    window_end_minute integer NOT NULL,
                    time_zone text NOT NULL,
                    machine_detection boolean NOT NULL,
                    paused boolean NOT NULL DEFAULT false,
                    created_at timestamptz NOT NULL DEFAULT clock_timestamp())
                """,
                """
                CREATE TABLE \(leads) (
                    campaign_id text NOT NULL REFERENCES \(campaigns) (campaign_id) ON DELETE CASCADE,
                    lead_id text NOT NULL,
                    phone text NOT NULL,
                    priority integer NOT NULL DEFAULT 0,
                    data jsonb NOT NULL DEFAULT '{}'::jsonb,
                    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dialing', 'done')),
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
                    reservation_id uuid,
                    call_sid text,
                    hold_expires_at timestamptz,
                    last_status text,
                    last_sequence integer,
                    answered_by text,
                    outcome text,
                    outcome_detail text,
                    error_code integer,
                    finished_at timestamptz,
                    PRIMARY KEY (campaign_id, lead_id),
                    CHECK ((state = 'dialing') = (reservation_id IS NOT NULL)),
                    CHECK ((state = 'done') = (outcome IS NOT NULL)))
                """,
                "CREATE INDEX leads_due ON \(leads) (campaign_id, priority DESC, next_attempt_at, lead_id) WHERE state = 'pending'",
                "CREATE UNIQUE INDEX leads_reservation ON \(leads) (reservation_id) WHERE reservation_id IS NOT NULL",
                "CREATE INDEX leads_dialing ON \(leads) (hold_expires_at) WHERE state = 'dialing'",
                // Leads without a final outcome: the "campaign finished?" count walks only these.
                "CREATE INDEX leads_open ON \(leads) (campaign_id) WHERE state <> 'done'",
                """
                CREATE TABLE \(attempts) (
                    reservation_id uuid PRIMARY KEY,
                    campaign_id text NOT NULL,
                    lead_id text NOT NULL,
                    attempt integer NOT NULL,
                    worker_id text NOT NULL,
                    call_sid text,
                    status text,
                    answered_by text,
                    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    ended_at timestamptz)
                """,
                """
                CREATE TABLE \(outcomes) (
                    campaign_id text NOT NULL,
                    lead_id text NOT NULL,
                    outcome text NOT NULL,
                    detail text,
                    error_code integer,
                    attempts integer NOT NULL,
                    reservation_id uuid,
                    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (campaign_id, lead_id))
                """,
            ]),
        ]
    }
}
