/// The PL/pgSQL functions of the schema: reservation, release and confirmation.
extension CapacitySchema {
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
    var reserveFunctionDefinition: String {
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
    var releaseFunctionDefinition: String {
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
    var confirmFunctionDefinition: String {
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
}
