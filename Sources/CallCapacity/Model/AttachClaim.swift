/// What the registry knows about placing the call of one reservation (`POST /attach`): the
/// durable idempotency record shared by every worker of the fleet.
public enum AttachClaim: Sendable, Hashable {
    /// The reservation was unclaimed and is now the caller's: it places the call, then
    /// records its SID (``AttachClaimRegistry/recordAttach(reservationID:callSID:)``) or, when
    /// the carrier certainly created nothing, gives the claim up
    /// (``AttachClaimRegistry/abandonAttach(reservationID:)``).
    case claimed
    /// The call was placed already (by `workerID`): answer with its SID, place nothing.
    case placed(callSID: String, workerID: String)
    /// Another attach of the same request claimed the reservation and has no call SID recorded
    /// (still placing, or it stopped without knowing whether the carrier created the call):
    /// place nothing.
    case inProgress(workerID: String)
    /// The reservation was claimed for a different request (other bot, number or lead).
    case conflict
}
