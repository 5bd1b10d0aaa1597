/// The one final outcome a lead reaches.
public enum LeadOutcome: String, Sendable, Hashable, CaseIterable, Codable {
    /// A person answered and the worker's signed result was recorded.
    case answered
    /// An answering machine took the call (the worker's result was recorded).
    case machine
    /// Busy on every attempt.
    case busy
    /// Nobody answered on every attempt.
    case noAnswer = "no_answer"
    /// The call failed on every attempt (carrier failure or transient placement errors).
    case failed
    /// The carrier refused the number (its error code is recorded); never retried.
    case invalidNumber = "invalid_number"
    /// No attempt ever connected to a worker (reservation lapsed, worker lost).
    case notConnected = "not_connected"
}
