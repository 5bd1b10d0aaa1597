/// Where and how post-call results are posted.
public struct WebhookConfiguration: Sendable {
    /// The receiver (`RESULT_WEBHOOK_URL`).
    public var url: String
    /// The shared secret for `X-Call-Signature` (`RESULT_WEBHOOK_SECRET`); nil sends unsigned
    /// requests (development only, see the worker's `RESULT_WEBHOOK_ALLOW_UNSIGNED`).
    public var secret: String?
    /// Extra headers on every request (for example an authorization header).
    public var headers: [(String, String)]
    /// Longest wait for one request, connection included.
    public var timeout: Duration
    /// Backoff of redelivery.
    public var redelivery: RedeliveryPolicy
    /// Attempts (with backoff between them) for a result that could not be stored, the last
    /// chance before it is counted lost.
    public var unstoredAttempts: Int
    /// Requests in flight at once during redelivery.
    public var maximumConcurrentDeliveries: Int

    /// Creates a configuration.
    public init(
        url: String,
        secret: String?,
        headers: [(String, String)] = [],
        timeout: Duration = .seconds(5),
        redelivery: RedeliveryPolicy = RedeliveryPolicy(),
        unstoredAttempts: Int = 3,
        maximumConcurrentDeliveries: Int = 8
    ) {
        self.url = url
        self.secret = secret
        self.headers = headers
        self.timeout = timeout
        self.redelivery = redelivery
        self.unstoredAttempts = max(1, unstoredAttempts)
        self.maximumConcurrentDeliveries = max(1, maximumConcurrentDeliveries)
    }
}
