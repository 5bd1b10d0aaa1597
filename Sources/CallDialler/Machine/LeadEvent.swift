/// Something that happened to a lead's current attempt.
public enum LeadEvent: Sendable, Hashable {
    /// The carrier refused to create the call.
    case placementFailed(CallPlacementError)
    /// A terminal status callback: `busy`, `no-answer`, `failed`, `canceled` or `completed`.
    case callEnded(status: String, answeredBy: String?)
    /// The worker's signed post-call result arrived (its `end_reason`).
    case result(endReason: String, answeredBy: String?)
    /// The attempt never connected: its reservation lapsed unconfirmed, or its worker died.
    case neverConnected(reason: String)
}

/// What the dialler does with the lead after a ``LeadEvent``.
public enum LeadDecision: Sendable, Hashable {
    /// The lead is finished with this outcome (`detail`: status or end reason; `code`: carrier error).
    case finalize(LeadOutcome, detail: String, code: Int?)
    /// Dial again after `after`; the attempt counted.
    case retry(after: Duration, reason: String)
    /// Dial again after `after` without counting the attempt (rate limit, authentication).
    case requeue(after: Duration, reason: String)
    /// Nothing to change yet (e.g. `completed`: the worker's result decides).
    case wait
}
