import CallCapacity
import Foundation
import Logging
import TwilioREST

/// `/attach` idempotency across workers and restarts: with a fleet registry that keeps attach
/// claims (PostgreSQL), the reservation is claimed there before the call is placed and the
/// call's SID is recorded on the claim, so a repeat on any worker, before or after a restart,
/// answers with the same call and never places a second one.
extension CallWorkerServer {
    /// What the durable claim says about placing an attach.
    enum DurableAttach {
        /// This worker holds the claim (or there is no durable store): place the call.
        case place((any AttachClaimRegistry)?)
        /// The call was placed already: answer with its SID.
        case replay(callSID: String)
    }

    /// Claims the reservation in the fleet registry. Fails closed: when the registry cannot
    /// be asked, the attach is refused (503) rather than risk a second call.
    func claimDurably(_ request: AttachRequest, logger: Logger) async throws(AttachError) -> DurableAttach {
        guard let fleet, let claims = fleet.attachClaims else { return .place(nil) }
        let claim: AttachClaim
        do {
            claim = try await fleet.claimAttach(claims, reservationID: request.reservationID, fingerprint: request.fingerprint)
        } catch {
            logger.error("attach claim failed: refusing rather than risking a second call", metadata: ["error": "\(error)"])
            throw .unavailable("capacity registry unavailable")
        }
        switch claim {
        case .claimed:
            return .place(claims)
        case .placed(let sid, let worker):
            logger.info("attach replayed from the registry", metadata: ["call_sid": "\(sid)", "placed_by": "\(worker)"])
            return .replay(callSID: sid)
        case .conflict:
            throw .conflict
        case .inProgress(let worker):
            logger.warning("attach of this reservation is in progress elsewhere (or its outcome is unknown)", metadata: ["claimed_by": "\(worker)"])
            throw .unavailable("this reservation's call is being placed (claimed by \(worker))")
        }
    }

    /// Records the placed call on the claim; a failure is logged (the claim then stays without
    /// a SID, so repeats are refused, never placed again).
    func recordDurably(_ claims: (any AttachClaimRegistry)?, _ request: AttachRequest, callSID: String, logger: Logger) async {
        guard let fleet, let claims else { return }
        do {
            try await fleet.recordAttach(claims, reservationID: request.reservationID, callSID: callSID)
        } catch {
            logger.error("could not record the attached call in the registry", metadata: ["call_sid": "\(callSID)", "error": "\(error)"])
        }
    }

    /// Gives the claim up when no call can exist: the attach was refused before the carrier
    /// was asked, or the carrier refused the create. On any outcome that leaves it unknown
    /// whether the call was created (timeout, transport error, 5xx, unreadable answer) the
    /// claim stays, and repeats are refused.
    func abandonDurably(_ claims: (any AttachClaimRegistry)?, _ request: AttachRequest, after error: TwilioRESTError?, logger: Logger) async {
        guard let fleet, let claims else { return }
        if let error, !Self.certainlyNotCreated(error) {
            logger.warning("attach outcome unknown: the claim stays, repeats are refused", metadata: ["error": "\(error)"])
            return
        }
        do {
            try await fleet.abandonAttach(claims, reservationID: request.reservationID)
        } catch {
            logger.warning("could not give up the attach claim", metadata: ["error": "\(error)"])
        }
    }

    /// Whether Twilio certainly did not create the call: the request never left, or Twilio
    /// answered with a 4xx refusal.
    static func certainlyNotCreated(_ error: TwilioRESTError) -> Bool {
        switch error {
        case .invalidRequest, .authenticationFailed, .notFound, .invalidNumber, .rateLimited, .rejected: true
        case .serverError, .malformedResponse, .responseTooLarge, .timeout, .transport: false
        }
    }
}

extension AttachRequest {
    /// A canonical text of what the call is (bot, destination, caller id, lead), the same for
    /// every repeat of this request whatever its JSON key order.
    var fingerprint: String {
        let object: [String: Any] = ["bot": bot, "to": to, "from": from ?? "", "lead": lead]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "\(bot)|\(to)|\(from ?? "")|\(lead.sorted { $0.key < $1.key })"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
