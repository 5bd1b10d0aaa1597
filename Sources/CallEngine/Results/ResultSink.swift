/// Where post-call results go. Implementations must not lose a result they accepted:
/// `deliver` returns only once the result is durable (written and fsynced, or acknowledged
/// by the receiver), and throws otherwise.
public protocol ResultSink: Sendable {
    /// Delivers one final result durably.
    func deliver(_ result: CallResult) async throws
    /// Stores a partial result of a call still in progress (written at each turn boundary),
    /// so a worker that dies mid-call leaves something to deliver after restart. A later
    /// checkpoint or the final ``deliver(_:)`` of the same call replaces it.
    func checkpoint(_ result: CallResult) async throws
}

extension ResultSink {
    /// Sinks without durable storage ignore checkpoints.
    public func checkpoint(_ result: CallResult) async throws {}
}
