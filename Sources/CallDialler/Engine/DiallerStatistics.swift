import Metrics

/// Counts of what the dialler did, for tests, the status output and Prometheus
/// (`dialler_*` metrics via swift-metrics).
public struct DiallerStatistics: Sendable, Hashable {
    /// Calls the carrier accepted.
    public var placed = 0
    /// Placement errors by ``CallPlacementError/label``.
    public var placementErrors: [String: Int] = [:]
    /// Final outcomes recorded (each lead once).
    public var finalized = 0
    /// Final outcomes by outcome.
    public var outcomes: [String: Int] = [:]
    /// Attempts retried (counted) and requeued (not counted).
    public var retried = 0
    /// Leads put back without counting the attempt.
    public var requeued = 0
    /// Reservations refused by the registry, by reason.
    public var refusals: [String: Int] = [:]
    /// Events ignored as duplicates or stale.
    public var duplicates = 0

    mutating func countPlaced(campaignID: String) {
        placed += 1
        Counter(label: "dialler_calls_placed_total", dimensions: [("campaign", campaignID)]).increment()
    }

    mutating func countPlacementError(_ error: CallPlacementError) {
        placementErrors[error.label, default: 0] += 1
        Counter(label: "dialler_placement_errors_total", dimensions: [("kind", error.label)]).increment()
    }

    mutating func countOutcome(_ outcome: LeadOutcome) {
        finalized += 1
        outcomes[outcome.rawValue, default: 0] += 1
        Counter(label: "dialler_lead_outcomes_total", dimensions: [("outcome", outcome.rawValue)]).increment()
    }

    mutating func countRetry(reason: String, counted: Bool) {
        if counted { retried += 1 } else { requeued += 1 }
        Counter(label: "dialler_retries_total", dimensions: [("reason", reason), ("counted", counted ? "true" : "false")]).increment()
    }

    mutating func countRefusal(_ reason: String) {
        refusals[reason, default: 0] += 1
        Counter(label: "dialler_reservations_refused_total", dimensions: [("reason", reason)]).increment()
    }
}
