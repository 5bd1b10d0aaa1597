import CallCapacity
import Foundation

extension FleetMembership {
    /// How long an `/attach` claim is kept (a repeat of a day-old attach is not expected).
    public static let attachClaimRetention: Duration = .seconds(86_400)
    /// How often ``FleetService`` deletes older claims.
    public static let attachClaimPruneInterval: Duration = .seconds(3600)

    /// Deletes claims older than ``attachClaimRetention``; failures are logged and counted.
    func pruneAttachClaims(_ claims: any AttachClaimRegistry) async {
        do {
            let pruned = try await bounded { () async throws(CapacityError) -> Int in
                try await claims.pruneAttachClaims(olderThan: FleetMembership.attachClaimRetention)
            }
            if pruned > 0 { logger.info("pruned old attach claims", metadata: ["count": "\(pruned)"]) }
        } catch .cancelled {
            return
        } catch {
            Self.countError(operation: "attach_prune")
            logger.warning("could not prune old attach claims", metadata: ["error": "\(error)"])
        }
    }

    /// The registry's durable `/attach` claims, when it keeps them (the PostgreSQL registry);
    /// nil otherwise (the worker's in-memory ``AttachLedger`` is then the only record).
    var attachClaims: (any AttachClaimRegistry)? { registry as? any AttachClaimRegistry }

    /// Claims `reservationID` for this worker (bounded by ``operationTimeout``).
    func claimAttach(_ claims: any AttachClaimRegistry, reservationID: UUID, fingerprint: String) async throws(CapacityError) -> AttachClaim {
        let workerID = registration.workerID
        do {
            return try await bounded { () async throws(CapacityError) -> AttachClaim in
                try await claims.claimAttach(reservationID: reservationID, fingerprint: fingerprint, workerID: workerID)
            }
        } catch {
            Self.countError(operation: "attach_claim")
            throw error
        }
    }

    /// Records the placed call's SID on the claim.
    func recordAttach(_ claims: any AttachClaimRegistry, reservationID: UUID, callSID: String) async throws(CapacityError) {
        do {
            _ = try await bounded { () async throws(CapacityError) -> Bool in
                try await claims.recordAttach(reservationID: reservationID, callSID: callSID)
            }
        } catch {
            Self.countError(operation: "attach_record")
            throw error
        }
    }

    /// Gives the claim up (the carrier certainly created no call).
    func abandonAttach(_ claims: any AttachClaimRegistry, reservationID: UUID) async throws(CapacityError) {
        do {
            try await bounded { () async throws(CapacityError) in
                try await claims.abandonAttach(reservationID: reservationID)
            }
        } catch {
            Self.countError(operation: "attach_abandon")
            throw error
        }
    }
}
