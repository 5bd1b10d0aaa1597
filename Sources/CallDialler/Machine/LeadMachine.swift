/// Every decision about a lead's attempt, as a pure function: the event, the attempt number and
/// the campaign's retry policy in, a ``LeadDecision`` out. The ``Dialler`` actor applies it to
/// PostgreSQL (guarded by state and attempt, so a duplicate event changes nothing).
public struct LeadMachine: Sendable, Hashable {
    /// The campaign's retries.
    public let policy: RetryPolicy
    /// How long a lead waits after a 429 without a `Retry-After`.
    public let defaultRateLimitDelay: Duration
    /// How long a lead waits after the carrier refused the credentials (the campaign is paused too).
    public let authenticationDelay: Duration

    /// Creates a machine.
    public init(policy: RetryPolicy, defaultRateLimitDelay: Duration = .seconds(1), authenticationDelay: Duration = .seconds(60)) {
        self.policy = policy
        self.defaultRateLimitDelay = defaultRateLimitDelay
        self.authenticationDelay = authenticationDelay
    }

    /// Decides what attempt number `attempt` (1-based) of a lead leads to.
    public func decide(_ event: LeadEvent, attempt: Int) -> LeadDecision {
        switch event {
        case .placementFailed(.rateLimited(let after)):
            return .requeue(after: after ?? defaultRateLimitDelay, reason: "rate_limited")
        case .placementFailed(.invalidNumber(let code, let message)):
            return .finalize(.invalidNumber, detail: message, code: code)
        case .placementFailed(.authentication):
            return .requeue(after: authenticationDelay, reason: "authentication")
        case .placementFailed(.transient(let message)):
            return retryOr(.failed, detail: "transient: \(message)", attempt: attempt)
        case .callEnded(let status, _):
            switch status {
            case "busy": return retryOr(.busy, detail: status, attempt: attempt)
            case "no-answer": return retryOr(.noAnswer, detail: status, attempt: attempt)
            case "failed", "canceled": return retryOr(.failed, detail: status, attempt: attempt)
            default: return .wait  // completed: the worker's result (or its absence) decides
            }
        case .result(let endReason, let answeredBy):
            if endReason == "worker_lost" { return retryOr(.notConnected, detail: endReason, attempt: attempt) }
            let machine = answeredBy.map { $0.hasPrefix("machine") || $0 == "fax" } ?? false
            return .finalize(machine ? .machine : .answered, detail: endReason, code: nil)
        case .neverConnected(let reason):
            return retryOr(.notConnected, detail: reason, attempt: attempt)
        }
    }

    private func retryOr(_ outcome: LeadOutcome, detail: String, attempt: Int) -> LeadDecision {
        guard attempt < policy.maxAttempts else { return .finalize(outcome, detail: detail, code: nil) }
        return .retry(after: policy.delay(afterAttempt: attempt), reason: detail)
    }

    /// Whether a status callback's `CallStatus` ends the call.
    public static func isTerminal(_ status: String) -> Bool {
        ["completed", "busy", "no-answer", "failed", "canceled"].contains(status)
    }
}
