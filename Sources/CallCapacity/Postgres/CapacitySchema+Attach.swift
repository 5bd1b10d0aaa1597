/// `/attach` claims: one row per reservation id whose call a worker placed (or is placing).
extension CapacitySchema {
    var attachments: String { "\(schema).attachments" }

    /// Migration 5, for new and existing registries alike (a new table, nothing else changes).
    var attachMigrationStatements: [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS \(attachments) (
                reservation_id uuid PRIMARY KEY,
                fingerprint text NOT NULL,
                worker_id text NOT NULL,
                call_sid text,
                claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                placed_at timestamptz
            )
            """,
            "CREATE INDEX IF NOT EXISTS attachments_claimed_at ON \(attachments) (claimed_at)",
        ]
    }

    /// $1 reservation, $2 fingerprint text (stored as its SHA-256), $3 worker ->
    /// (claimed, fingerprint matches, worker, call sid). The insert and the read of an existing
    /// row are one statement; when a concurrent claim of the same id committed after this
    /// statement's snapshot, neither part returns a row and the caller runs it again.
    var claimAttachSQL: String {
        """
        WITH fp AS (SELECT encode(sha256(convert_to($2::text, 'UTF8')), 'hex') AS value),
        ins AS (
            INSERT INTO \(attachments) (reservation_id, fingerprint, worker_id)
            SELECT $1, fp.value, $3 FROM fp
            ON CONFLICT (reservation_id) DO NOTHING
            RETURNING worker_id, call_sid
        )
        SELECT true, true, ins.worker_id, ins.call_sid FROM ins
        UNION ALL
        SELECT false, a.fingerprint = fp.value, a.worker_id, a.call_sid
          FROM \(attachments) a, fp
         WHERE a.reservation_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)
        """
    }

    /// $1 reservation, $2 call sid -> 1 row when recorded
    var recordAttachSQL: String {
        """
        UPDATE \(attachments) SET call_sid = $2, placed_at = clock_timestamp()
         WHERE reservation_id = $1 AND call_sid IS NULL
        RETURNING 1
        """
    }

    /// $1 reservation
    var abandonAttachSQL: String { "DELETE FROM \(attachments) WHERE reservation_id = $1 AND call_sid IS NULL" }

    /// $1 age µs -> deleted count
    var pruneAttachSQL: String {
        """
        WITH gone AS (
            DELETE FROM \(attachments) WHERE claimed_at < clock_timestamp() - $1 * interval '1 microsecond' RETURNING 1
        )
        SELECT count(*)::int FROM gone
        """
    }
}
