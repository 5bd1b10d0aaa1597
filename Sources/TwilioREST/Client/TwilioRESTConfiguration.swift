/// Limits and endpoint of a ``TwilioRESTClient``.
public struct TwilioRESTConfiguration: Sendable, Hashable {
    /// `https://api.twilio.com` (or a regional edge, or a local fake in tests: `TWILIO_API_BASE_URL`).
    public var baseURL: String
    /// Longest wait for a complete answer (head and body).
    public var requestTimeout: Duration
    /// Largest answer body read; a bigger one fails with ``TwilioRESTError/responseTooLarge(limit:)``.
    public var maximumResponseBytes: Int
    /// Upper bound for a 429's `Retry-After` (an absurd value becomes this).
    public var maximumRetryAfter: Duration

    /// Creates a configuration.
    public init(
        baseURL: String = "https://api.twilio.com",
        requestTimeout: Duration = .seconds(10),
        maximumResponseBytes: Int = 256 * 1024,
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.requestTimeout = requestTimeout
        self.maximumResponseBytes = max(1024, maximumResponseBytes)
        self.maximumRetryAfter = maximumRetryAfter
    }
}
