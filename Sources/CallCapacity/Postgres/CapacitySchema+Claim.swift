/// The claim of a slot on one worker for a call that arrived without a reservation.
extension CapacitySchema {
    /// `claim(worker, call_sid, client, campaign)`: one round trip, one transaction.
    ///
    /// The worker row is read (not locked: a drain or lease lapse that commits concurrently is
    /// as good as one that commits just after), then one slot row of that worker is locked and
    /// filled, with `FOR UPDATE OF s SKIP LOCKED` re-checking it on its newest version exactly
    /// as ``reserveFunctionDefinition`` does, so a claim and a reservation never share a slot.
    /// A free slot is taken first, else the unconfirmed hold that expired first. A second claim
    /// for the same call SID on the same worker returns the first one's slot.
    var claimFunctionDefinition: String {
        """
        CREATE OR REPLACE FUNCTION \(schema).claim(
            p_worker text, p_call_sid text, p_client text, p_campaign text)
        RETURNS TABLE (o_outcome text, o_reservation_id uuid, o_slot integer, o_slots integer,
                       o_client text, o_campaign text)
        LANGUAGE plpgsql VOLATILE
        SET plan_cache_mode = force_generic_plan
        AS $fn$
        DECLARE
            v_now timestamptz;
            v_alive boolean;
            v_draining boolean;
            v_slots integer;
            v_slot integer;
            v_id uuid;
        BEGIN
            v_now := clock_timestamp();
            SELECT w.expires_at > v_now, w.draining, w.slots INTO v_alive, v_draining, v_slots
              FROM \(workers) w WHERE w.worker_id = p_worker;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'no_worker'::text, NULL::uuid, NULL::integer, NULL::integer, NULL::text, NULL::text;
                RETURN;
            END IF;
            RETURN QUERY
            SELECT 'active'::text, s.reservation_id, s.slot_no, v_slots, s.client_id, s.campaign_id
              FROM \(slots) s
             WHERE s.worker_id = p_worker AND s.state = 'active' AND s.call_sid = p_call_sid
             LIMIT 1;
            IF FOUND THEN
                RETURN;
            END IF;
            IF NOT v_alive THEN
                RETURN QUERY SELECT 'expired'::text, NULL::uuid, NULL::integer, v_slots, NULL::text, NULL::text;
                RETURN;
            END IF;
            IF v_draining THEN
                RETURN QUERY SELECT 'draining'::text, NULL::uuid, NULL::integer, v_slots, NULL::text, NULL::text;
                RETURN;
            END IF;
            v_id := gen_random_uuid();
            UPDATE \(slots) u
               SET state = 'active', reservation_id = v_id, client_id = p_client,
                   campaign_id = p_campaign, call_sid = p_call_sid, reserved_at = v_now,
                   expires_at = NULL, confirmed_at = v_now
             WHERE (u.worker_id, u.slot_no) = (
                   SELECT s.worker_id, s.slot_no FROM \(slots) s
                    WHERE s.worker_id = p_worker AND s.state = 'free' AND s.slot_no < v_slots
                    ORDER BY s.slot_no
                    LIMIT 1
                      FOR UPDATE OF s SKIP LOCKED)
            RETURNING u.slot_no INTO v_slot;
            IF NOT FOUND THEN
                UPDATE \(slots) u
                   SET state = 'active', reservation_id = v_id, client_id = p_client,
                       campaign_id = p_campaign, call_sid = p_call_sid, reserved_at = v_now,
                       expires_at = NULL, confirmed_at = v_now
                 WHERE (u.worker_id, u.slot_no) = (
                       SELECT s.worker_id, s.slot_no FROM \(slots) s
                        WHERE s.worker_id = p_worker AND s.state = 'reserved'
                          AND s.expires_at <= v_now AND s.slot_no < v_slots
                        ORDER BY s.expires_at
                        LIMIT 1
                          FOR UPDATE OF s SKIP LOCKED)
                RETURNING u.slot_no INTO v_slot;
            END IF;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 'full'::text, NULL::uuid, NULL::integer, v_slots, NULL::text, NULL::text;
                RETURN;
            END IF;
            RETURN QUERY SELECT 'claimed'::text, v_id, v_slot, v_slots, p_client, p_campaign;
        END
        $fn$
        """
    }

    /// $1 worker, $2 call sid, $3 client, $4 campaign -> (outcome, reservation id, slot, slots, client, campaign)
    var claimSQL: String {
        """
        SELECT o_outcome, o_reservation_id, o_slot, o_slots, o_client, o_campaign
          FROM \(schema).claim($1, $2, $3, $4)
        """
    }

    /// $1 reservation id -> (state, worker, worker alive)
    var lookupSQL: String {
        """
        SELECT CASE WHEN s.state = 'active' THEN 'active'
                    WHEN s.expires_at > clock_timestamp() THEN 'held' ELSE 'lapsed' END,
               s.worker_id, w.expires_at > clock_timestamp()
          FROM \(slots) s JOIN \(workers) w ON w.worker_id = s.worker_id
         WHERE s.reservation_id = $1
        """
    }
}
