/// Why a call ended.
public enum CallEndReason: String, Sendable, Hashable, Codable {
    /// The caller hung up (the carrier stopped the stream).
    case callerHungUp = "caller_hung_up"
    /// The agent ended the call (the `end_call` tool).
    case agentEnded = "agent_ended"
    /// The agent transferred the call.
    case transferred
    /// The caller stayed silent through every idle prompt.
    case idle
    /// Providers kept failing; the agent apologised and hung up.
    case providerFailure = "provider_failure"
    /// The call reached its maximum duration.
    case maxDuration = "max_duration"
    /// The call reached its maximum number of turns.
    case maxTurns = "max_turns"
    /// The worker was draining (deploy) and the drain deadline passed.
    case drain
    /// The transport failed (socket error, malformed stream).
    case transportError = "transport_error"
    /// The call task was cancelled.
    case cancelled
}
