/// Why a reservation was refused.
public enum NoCapacityReason: Sendable, Hashable, CustomStringConvertible {
    /// No live, non-draining worker with at least one slot carries the required labels.
    case noEligibleWorker
    /// Eligible workers exist but all their slots are reserved or in calls.
    case allSlotsBusy
    /// The client already has `limit` live reservations + calls.
    case clientQuotaReached(clientID: String, limit: Int)
    /// The campaign already has `limit` live reservations + calls.
    case campaignQuotaReached(campaignID: String, limit: Int)

    /// A short machine-friendly label, used in logs.
    public var description: String {
        switch self {
        case .noEligibleWorker: "no_eligible_worker"
        case .allSlotsBusy: "all_slots_busy"
        case .clientQuotaReached(let id, let limit): "client_quota_reached(\(id), \(limit))"
        case .campaignQuotaReached(let id, let limit): "campaign_quota_reached(\(id), \(limit))"
        }
    }
}
