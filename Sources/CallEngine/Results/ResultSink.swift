/// Where post-call results go. Implementations must not lose a result they accepted:
/// `deliver` returns only once the result is durable (written and fsynced, or acknowledged
/// by the receiver), and throws otherwise.
public protocol ResultSink: Sendable {
    /// Delivers one result durably.
    func deliver(_ result: CallResult) async throws
}
