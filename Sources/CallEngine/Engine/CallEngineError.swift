/// Errors the call engine reports. None of them crash the worker; they are logged with
/// `call_sid` and recorded in the ``CallResult``.
public enum CallEngineError: Error, Sendable, Hashable, Codable {
    /// A phase change the state machine forbids: a bug in the engine, surfaced in tests.
    case illegalTransition(from: CallPhase, to: CallPhase)
    /// The configuration is unusable (message says why).
    case invalidConfiguration(String)
    /// A lead field failed validation.
    case invalidLeadField(name: String, reason: String)
    /// An inbound audio frame was malformed (message says how).
    case badAudio(String)
}
