/// Separately configurable timeouts for one provider request. A nil value disables that stage.
public struct TimeoutPolicy: Sendable, Equatable {
    /// Longest wait from sending an attempt to its first chunk, token or result.
    public var firstByte: Duration?
    /// Longest gap between two chunks once the first has arrived.
    public var stall: Duration?
    /// Longest time for the whole request, all retries and backoff included.
    public var total: Duration?

    /// Creates a policy.
    public init(firstByte: Duration? = .seconds(5), stall: Duration? = .seconds(5), total: Duration? = .seconds(30)) {
        self.firstByte = firstByte
        self.stall = stall
        self.total = total
    }

    /// No timeouts at all.
    public static let none = TimeoutPolicy(firstByte: nil, stall: nil, total: nil)

    /// Whether any stage is configured.
    public var isEnabled: Bool { firstByte != nil || stall != nil || total != nil }
}
