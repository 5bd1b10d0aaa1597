import Foundation

/// A registry that keeps `/attach` idempotent across workers and restarts: one claim per
/// reservation id, taken atomically before the call is placed, holding the placed call's SID.
///
/// ```swift
/// switch try await registry.claimAttach(reservationID: id, fingerprint: request, workerID: me) {
/// case .claimed:
///     let sid = try await carrier.createCall(...)       // on a certain refusal: abandonAttach
///     try await registry.recordAttach(reservationID: id, callSID: sid)
/// case .placed(let sid, _): return sid                  // a repeat: the same call
/// case .inProgress, .conflict: refuse                    // never a second call
/// }
/// ```
public protocol AttachClaimRegistry: Sendable {
    /// Claims the reservation for placing its call, or reports the existing claim.
    /// - Parameters:
    ///   - reservationID: The idempotency key.
    ///   - fingerprint: A canonical text of the request (bot, destination, caller id, lead);
    ///     a repeat with another fingerprint is a ``AttachClaim/conflict``.
    ///   - workerID: The claiming worker.
    func claimAttach(reservationID: UUID, fingerprint: String, workerID: String) async throws(CapacityError) -> AttachClaim

    /// Records the SID of the call placed under this caller's claim.
    /// - Returns: false when the claim was gone or held a SID already (nothing changed).
    @discardableResult
    func recordAttach(reservationID: UUID, callSID: String) async throws(CapacityError) -> Bool

    /// Gives up a claim whose placement certainly created no call (the carrier refused it), so
    /// a retry may place it. A claim with a recorded SID is kept.
    func abandonAttach(reservationID: UUID) async throws(CapacityError)

    /// Deletes claims older than `age` (their reservations are long over).
    /// - Returns: How many were deleted.
    @discardableResult
    func pruneAttachClaims(olderThan age: Duration) async throws(CapacityError) -> Int
}
