import CallCapacity
import CallEngine
import Foundation
import Logging

extension Dialler {
    // MARK: Placement

    func place(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "lead_id"] = "\(job.lead.leadID)"
        logger[metadataKey: "reservation_id"] = "\(job.reservation.id)"
        let id = job.reservation.id.uuidString.lowercased()
        let request = OutboundCallRequest(
            to: job.lead.phone, from: job.campaign.fromNumber, account: job.campaign.account,
            streamURL: DiallerConfiguration.streamURL(workerURL: job.reservation.streamURL, botID: job.campaign.botID),
            streamParameters: ["reservation_id": id, "lead_id": job.lead.leadID, "bot": job.campaign.botID, "campaign_id": job.campaign.id],
            statusCallbackURL: configuration.statusCallbackURL(reservationID: id),
            machineDetection: job.campaign.machineDetection, ringTimeout: configuration.ringTimeout)
        let placed: PlacedCall
        do throws(CallPlacementError) {
            placed = try await placer.placeCall(request)
        } catch {
            statistics.countPlacementError(error)
            logger.warning("call not placed", metadata: ["error": "\(error)"])
            switch error {
            case .rateLimited(let after):
                await pacer.slowDown(account: job.campaign.account, retryAfter: after ?? .seconds(1))
            case .authentication:
                do {
                    try await store.setPaused(campaignID: job.campaign.id, true)
                    logger.error("carrier refused the credentials: campaign paused", metadata: ["campaign_id": "\(job.campaign.id)"])
                } catch {
                    logger.error("could not pause the campaign", metadata: ["error": "\(error)"])
                }
            case .invalidNumber, .transient:
                break
            }
            let machine = LeadMachine(policy: job.campaign.retry)
            _ = await apply(machine.decide(.placementFailed(error), attempt: job.attempt), reservationID: job.reservation.id,
                            campaignID: job.campaign.id, logger: logger)
            return
        }
        statistics.countPlaced(campaignID: job.campaign.id)
        logger[metadataKey: "call_sid"] = "\(placed.callSID)"
        logger.debug("call placed", metadata: ["attempt": "\(job.attempt)", "worker_id": "\(job.reservation.workerID)"])
        do {
            try await store.recordPlaced(reservationID: job.reservation.id, callSID: placed.callSID)
        } catch {
            logger.error("could not store the call SID", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Callbacks and results

    /// Records a verified status callback; a terminal one may retry or finish the lead.
    public func handleStatus(_ callback: StatusCallback) async -> EventHandling {
        var logger = self.logger
        logger[metadataKey: "reservation_id"] = "\(callback.reservationID)"
        if let sid = callback.callSID { logger[metadataKey: "call_sid"] = "\(sid)" }
        do {
            guard let ref = try await store.attempt(reservationID: callback.reservationID) else {
                logger.warning("status callback for an unknown attempt")
                return .unknownAttempt
            }
            try await store.recordProgress(
                reservationID: callback.reservationID, status: callback.status, sequence: callback.sequence, answeredBy: callback.answeredBy)
            guard LeadMachine.isTerminal(callback.status), ref.isCurrent else { return .ignored }
            let campaign = try await campaign(ref.campaignID)
            let decision = LeadMachine(policy: campaign.retry)
                .decide(.callEnded(status: callback.status, answeredBy: callback.answeredBy ?? ref.answeredBy), attempt: ref.attempt)
            if decision == .wait {
                // Completed: the worker's result decides; its grace starts now.
                try await store.touch(reservationID: callback.reservationID)
                return .ignored
            }
            return await apply(decision, reservationID: callback.reservationID, campaignID: ref.campaignID, logger: logger)
        } catch {
            logger.error("could not record a status callback", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// Records a worker's verified post-call result: the lead's final outcome (a result is
    /// final whenever it comes, even after a retry began), or a retry for `worker_lost`.
    public func handleResult(_ result: CallResult) async -> EventHandling {
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(result.identity.callID)"
        guard let raw = result.identity.customParameters["reservation_id"], let reservationID = UUID(uuidString: raw) else {
            logger.warning("result without a reservation id: not a dialler call")
            return .unknownAttempt
        }
        logger[metadataKey: "reservation_id"] = "\(reservationID)"
        do {
            guard let ref = try await store.attempt(reservationID: reservationID) else {
                logger.warning("result for an unknown attempt")
                return .unknownAttempt
            }
            let campaign = try await campaign(ref.campaignID)
            let answeredBy = ref.answeredBy ?? result.identity.customParameters["AnsweredBy"]
            let decision = LeadMachine(policy: campaign.retry)
                .decide(.result(endReason: result.endReason.rawValue, answeredBy: answeredBy), attempt: ref.attempt)
            if case .finalize = decision {
                return await apply(decision, reservationID: reservationID, campaignID: ref.campaignID, onlyCurrent: false, logger: logger)
            }
            guard ref.isCurrent else { return .ignored }
            return await apply(decision, reservationID: reservationID, campaignID: ref.campaignID, logger: logger)
        } catch {
            logger.error("could not record a result", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// Attempts whose hold lapsed (plus the result grace) without a live call on a live
    /// worker never connected, or lost their worker: retried (or finished when out of attempts).
    func sweep() async {
        let lapsed: [(UUID, Int)]
        do {
            lapsed = try await store.lapsedAttempts(grace: configuration.resultGrace)
        } catch {
            logger.error("sweep could not read attempts", metadata: ["error": "\(error)"])
            return
        }
        for (reservationID, attempt) in lapsed {
            var logger = self.logger
            logger[metadataKey: "reservation_id"] = "\(reservationID)"
            do {
                let lookup = try await registry.lookup(reservationID: reservationID)
                if let lookup, lookup.workerAlive, lookup.state != .lapsed {
                    // A live call (or a hold the registry's clock has not lapsed yet): wait for it.
                    try await store.touch(reservationID: reservationID)
                    continue
                }
                guard let ref = try await store.attempt(reservationID: reservationID) else { continue }
                let reason = lookup == nil ? "not_confirmed" : (lookup?.workerAlive == false ? "worker_lost" : "hold_lapsed")
                let campaign = try await campaign(ref.campaignID)
                let decision = LeadMachine(policy: campaign.retry).decide(.neverConnected(reason: reason), attempt: attempt)
                logger.info("attempt never connected", metadata: ["reason": "\(reason)", "lead_id": "\(ref.leadID)"])
                _ = await apply(decision, reservationID: reservationID, campaignID: ref.campaignID, logger: logger)
            } catch {
                logger.error("sweep could not check an attempt", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: Applying decisions

    func apply(
        _ decision: LeadDecision, reservationID: UUID, campaignID: String, onlyCurrent: Bool = true, logger: Logger
    ) async -> EventHandling {
        do {
            switch decision {
            case .wait:
                return .ignored
            case .finalize(let outcome, let detail, let code):
                guard let done = try await store.finalize(
                    reservationID: reservationID, outcome: outcome, detail: detail, code: code, onlyCurrent: onlyCurrent)
                else {
                    statistics.duplicates += 1
                    return .ignored
                }
                statistics.countOutcome(outcome)
                logger.info("lead finished", metadata: ["lead_id": "\(done.leadID)", "outcome": "\(outcome.rawValue)", "detail": "\(detail)"])
                await releaseQuietly(reservationID)
                if let previous = done.previousReservation, previous != reservationID { await releaseQuietly(previous) }
                wake()
                await checkFinished(campaignID)
                return .applied
            case .retry(let after, let reason), .requeue(let after, let reason):
                let counted: Bool
                if case .retry = decision { counted = true } else { counted = false }
                guard try await store.retry(reservationID: reservationID, after: after, countAttempt: counted, status: reason) else {
                    statistics.duplicates += 1
                    return .ignored
                }
                statistics.countRetry(reason: reason, counted: counted)
                await releaseQuietly(reservationID)
                wake()
                return .applied
            }
        } catch {
            logger.error("could not apply a lead decision", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    func campaign(_ id: String) async throws(DiallerError) -> Campaign {
        if let campaign = campaignCache[id] { return campaign }
        for campaign in try await store.campaigns() { campaignCache[campaign.id] = campaign }
        guard let campaign = campaignCache[id] else { throw .unknownCampaign(id) }
        return campaign
    }

    // MARK: Waiting for a campaign

    /// Returns once every lead of the campaign has its final outcome.
    public func waitUntilFinished(campaignID: String) async {
        let id = nextWaiterID
        nextWaiterID += 1
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            finishWaiters[campaignID, default: [:]][id] = continuation
            Task { await self.checkFinished(campaignID) }
        }
    }

    func checkFinished(_ campaignID: String) async {
        guard let waiters = finishWaiters[campaignID], !waiters.isEmpty else { return }
        guard (try? await store.remaining(campaignID: campaignID)) == 0 else { return }
        let all = finishWaiters.removeValue(forKey: campaignID) ?? [:]
        for continuation in all.values { continuation.resume() }
    }
}
