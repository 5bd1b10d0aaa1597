/// The result of ``CapacityRegistry/reserve(_:)``: a slot, or the reason there is none.
///
/// "No capacity" is an expected answer, not an error.
public enum ReservationOutcome: Sendable, Hashable {
    /// A slot was reserved.
    case reserved(Reservation)
    /// No slot could be reserved; the reason says why.
    case noCapacity(NoCapacityReason)

    /// The reservation, when one was made.
    public var reservation: Reservation? {
        if case .reserved(let reservation) = self { return reservation }
        return nil
    }
}
