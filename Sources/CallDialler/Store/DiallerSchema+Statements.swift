/// The statements ``DiallerStore`` runs ($n parameters).
extension DiallerSchema {
    var upsertCampaignSQL: String {
        """
        INSERT INTO \(campaigns) (campaign_id, client_id, bot_id, from_number, account, max_concurrent, max_attempts,
            retry_base_ms, retry_max_ms, window_start_minute, window_end_minute, time_zone, machine_detection, paused)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (campaign_id) DO UPDATE SET client_id = EXCLUDED.client_id, bot_id = EXCLUDED.bot_id,
            from_number = EXCLUDED.from_number, account = EXCLUDED.account, max_concurrent = EXCLUDED.max_concurrent,
            max_attempts = EXCLUDED.max_attempts, retry_base_ms = EXCLUDED.retry_base_ms, retry_max_ms = EXCLUDED.retry_max_ms,
            window_start_minute = EXCLUDED.window_start_minute, window_end_minute = EXCLUDED.window_end_minute,
            time_zone = EXCLUDED.time_zone, machine_detection = EXCLUDED.machine_detection, paused = EXCLUDED.paused
        """
    }

    var listCampaignsSQL: String {
        """
        SELECT campaign_id, client_id, bot_id, from_number, account, max_concurrent, max_attempts, retry_base_ms,
               retry_max_ms, window_start_minute, window_end_minute, time_zone, machine_detection, paused
          FROM \(campaigns) ORDER BY campaign_id
        """
    }

    /// $1 campaign, $2 paused -> 1 row when found
    var setPausedSQL: String { "UPDATE \(campaigns) SET paused = $2 WHERE campaign_id = $1 RETURNING 1" }

    /// $1 campaign, $2 ids, $3 phones, $4 priorities, $5 data (json texts) -> inserted count
    var importLeadsSQL: String {
        """
        WITH ins AS (
            INSERT INTO \(leads) (campaign_id, lead_id, phone, priority, data)
            SELECT $1, t.id, t.phone, t.priority, t.data::jsonb
              FROM unnest($2::text[], $3::text[], $4::integer[], $5::text[]) AS t(id, phone, priority, data)
            ON CONFLICT (campaign_id, lead_id) DO NOTHING
            RETURNING 1)
        SELECT count(*)::bigint FROM ins
        """
    }

    /// $1 campaign, $2 limit -> (lead, phone, attempts), hot leads first
    var dueLeadsSQL: String {
        """
        SELECT lead_id, phone, attempts FROM \(leads)
         WHERE campaign_id = $1 AND state = 'pending' AND next_attempt_at <= clock_timestamp()
         ORDER BY priority DESC, next_attempt_at, lead_id
         LIMIT $2
        """
    }

    /// $1 campaign, $2 lead, $3 attempts seen, $4 reservation, $5 hold expiry, $6 worker -> new attempt number
    var beginAttemptSQL: String {
        """
        WITH l AS (
            UPDATE \(leads) SET state = 'dialing', attempts = attempts + 1, reservation_id = $4, hold_expires_at = $5,
                   call_sid = NULL, last_status = NULL, last_sequence = NULL, answered_by = NULL
             WHERE campaign_id = $1 AND lead_id = $2 AND state = 'pending' AND attempts = $3
            RETURNING campaign_id, lead_id, attempts),
        a AS (
            INSERT INTO \(attempts) (reservation_id, campaign_id, lead_id, attempt, worker_id)
            SELECT $4, l.campaign_id, l.lead_id, l.attempts, $6 FROM l)
        SELECT attempts FROM l
        """
    }

    /// $1 reservation, $2 call sid
    var recordPlacedSQL: String {
        """
        WITH a AS (UPDATE \(attempts) SET call_sid = $2 WHERE reservation_id = $1)
        UPDATE \(leads) SET call_sid = $2 WHERE reservation_id = $1 AND state = 'dialing'
        """
    }

    /// $1 reservation, $2 status, $3 sequence, $4 answered by: newest callback wins
    var recordProgressSQL: String {
        """
        WITH a AS (UPDATE \(attempts) SET status = $2, answered_by = coalesce($4, answered_by) WHERE reservation_id = $1)
        UPDATE \(leads) SET last_status = $2, last_sequence = $3, answered_by = coalesce($4, answered_by)
         WHERE reservation_id = $1 AND state = 'dialing' AND (last_sequence IS NULL OR last_sequence < $3)
        """
    }

    /// $1 reservation -> (campaign, lead, attempt, current, answered by)
    var attemptSQL: String {
        """
        SELECT a.campaign_id, a.lead_id, a.attempt, (l.reservation_id = a.reservation_id AND l.state = 'dialing'),
               coalesce(l.answered_by, a.answered_by)
          FROM \(attempts) a JOIN \(leads) l ON l.campaign_id = a.campaign_id AND l.lead_id = a.lead_id
         WHERE a.reservation_id = $1
        """
    }

    /// $1 reservation, $2 delay ms, $3 count the attempt, $4 status -> campaign when requeued
    var retrySQL: String {
        """
        WITH l AS (
            UPDATE \(leads) SET state = 'pending', attempts = attempts - CASE WHEN $3::boolean THEN 0 ELSE 1 END,
                   next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond',
                   reservation_id = NULL, hold_expires_at = NULL
             WHERE reservation_id = $1 AND state = 'dialing'
            RETURNING campaign_id),
        a AS (UPDATE \(attempts) SET status = $4, ended_at = clock_timestamp() WHERE reservation_id = $1)
        SELECT campaign_id FROM l
        """
    }

    /// $1 reservation, $2 outcome, $3 detail, $4 code, $5 only when it is the current attempt
    /// -> (campaign, lead, the lead's current reservation)
    var finalizeSQL: String {
        """
        WITH a AS (SELECT campaign_id, lead_id FROM \(attempts) WHERE reservation_id = $1),
        l AS (
            UPDATE \(leads) AS t SET state = 'done', outcome = $2, outcome_detail = $3, error_code = $4,
                   finished_at = clock_timestamp(), hold_expires_at = NULL, reservation_id = NULL
              FROM a
             WHERE t.campaign_id = a.campaign_id AND t.lead_id = a.lead_id AND t.state <> 'done'
               AND (NOT $5::boolean OR (t.reservation_id = $1 AND t.state = 'dialing'))
            RETURNING t.campaign_id, t.lead_id, t.attempts),
        o AS (
            INSERT INTO \(outcomes) (campaign_id, lead_id, outcome, detail, error_code, attempts, reservation_id)
            SELECT campaign_id, lead_id, $2, $3, $4, attempts, $1 FROM l),
        u AS (UPDATE \(attempts) SET ended_at = coalesce(ended_at, clock_timestamp()) WHERE reservation_id = $1)
        SELECT l.campaign_id, l.lead_id, old.reservation_id
          FROM l JOIN \(leads) old ON old.campaign_id = l.campaign_id AND old.lead_id = l.lead_id
        """
    }

    /// $1 grace ms -> (reservation, attempt) of dialing leads whose hold lapsed more than grace ago
    var stuckSQL: String {
        """
        SELECT reservation_id, attempts FROM \(leads)
         WHERE state = 'dialing' AND hold_expires_at < clock_timestamp() - $1 * interval '1 millisecond'
         ORDER BY hold_expires_at LIMIT 500
        """
    }

    /// $1 reservation: restarts the result grace of a current attempt (seen live, or completed)
    var touchSQL: String {
        """
        UPDATE \(leads) SET hold_expires_at = greatest(hold_expires_at, clock_timestamp())
         WHERE reservation_id = $1 AND state = 'dialing'
        """
    }

    /// $1 campaign -> leads not done
    var remainingSQL: String { "SELECT count(*)::bigint FROM \(leads) WHERE campaign_id = $1 AND state <> 'done'" }

    /// $1 campaign -> (state or outcome, count)
    var summarySQL: String {
        """
        SELECT coalesce(outcome, state), count(*)::bigint FROM \(leads) WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1
        """
    }

    var dialingCountSQL: String { "SELECT count(*)::bigint FROM \(leads) WHERE state = 'dialing'" }
}
