/// A provider client that can open its connections ahead of use, so the first turn of a
/// call does not pay for TCP and TLS setup (issue 12, pre-connect).
///
/// Call it when a call is announced (the TwiML webhook or the Media Streams `start`),
/// without awaiting it on the call's path: `Task { await warmup.preconnect(context: context) }`.
/// It never throws; failures are logged and reported in the result.
public protocol ProviderWarmup: Sendable {
    /// Opens up to `connections` connections to each provider host (nil: the client's
    /// default, about one per pipeline stage) and returns what happened.
    func preconnect(connections: Int?, context: ProviderCallContext) async -> ProviderWarmupResult
}

extension ProviderWarmup {
    /// Opens the client's default number of connections.
    @discardableResult
    public func preconnect(context: ProviderCallContext) async -> ProviderWarmupResult {
        await preconnect(connections: nil, context: context)
    }
}

/// What a ``ProviderWarmup/preconnect(connections:context:)`` did.
public struct ProviderWarmupResult: Sendable, Equatable {
    /// Warm-up requests sent.
    public var attempted: Int
    /// Requests that got an HTTP answer (any status: the connection is open and pooled).
    public var connected: Int
    /// Monotonic time the warm-up took.
    public var duration: Duration

    /// Creates a result.
    public init(attempted: Int, connected: Int, duration: Duration) {
        self.attempted = attempted
        self.connected = connected
        self.duration = duration
    }
}
