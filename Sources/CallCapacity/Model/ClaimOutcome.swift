/// The result of ``CapacityRegistry/claim(workerID:callSID:clientID:campaignID:)``: a slot
/// taken on that worker for a call that arrived without a reservation, or why there is none.
public enum ClaimOutcome: Sendable, Hashable {
    /// The call holds a slot (as an active call) until it is released with the returned
    /// ``ActiveCall/reservationID``.
    case claimed(ActiveCall)
    /// The worker has no slot for the call; the worker should refuse it.
    case refused(ClaimRefusal)

    /// The active call, when a slot was claimed.
    public var call: ActiveCall? {
        if case .claimed(let call) = self { return call }
        return nil
    }
}

/// Why a worker could not claim a slot for an unreserved call.
public enum ClaimRefusal: Sendable, Hashable, CustomStringConvertible {
    /// The worker is draining (its own shutdown or an operator's drain).
    case draining
    /// The worker's lease lapsed: the registry treats it as gone.
    case leaseExpired
    /// Every slot of the worker holds a live reservation or call.
    case full(slots: Int)

    /// A short machine-friendly label, used in logs and metrics.
    public var description: String {
        switch self {
        case .draining: "draining"
        case .leaseExpired: "lease_expired"
        case .full: "full"
        }
    }
}
