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
    /// The carrier never sent `start` within the deadline after the WebSocket upgrade.
    case startTimeout = "start_timeout"
    /// The carrier stopped sending media (it streams continuously, silence included).
    case mediaTimeout = "media_timeout"
    /// The peer stopped reading: an outbound write did not complete within its deadline.
    case writeTimeout = "write_timeout"
    /// The stream was refused after `start` (forged or replayed stream token, bad ids).
    case unauthorized
    /// The worker died during the call; this is the last checkpoint, delivered after restart.
    case workerLost = "worker_lost"
}
