/// Why a Twilio REST request failed. Every case carries what Twilio said, when it said anything.
public enum TwilioRESTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Refused before sending: the request breaks Twilio's rules (bad SID, empty `To`, …).
    case invalidRequest(String)
    /// 401 / 20003: wrong account SID, auth token or API key.
    case authenticationFailed(TwilioAPIError)
    /// 404 / 20404: no such call (for an update: the call has already ended).
    case notFound(TwilioAPIError)
    /// 400 with a destination code (21211 invalid `To`, 21214, 21215 geo permissions, 21217,
    /// 21219 unverified trial number, 13223/13224): retrying will not help.
    case invalidNumber(TwilioAPIError)
    /// 429 / 20429: too many requests; `retryAfter` is the server's `Retry-After`, clamped to
    /// ``TwilioRESTConfiguration/maximumRetryAfter`` (nil when absent or unusable).
    case rateLimited(TwilioAPIError?, retryAfter: Duration?)
    /// Another 4xx answer.
    case rejected(status: Int, TwilioAPIError?)
    /// 5xx: Twilio failed; safe to retry after a pause.
    case serverError(status: Int, TwilioAPIError?)
    /// The answer could not be read: truncated, not JSON, or missing fields.
    case malformedResponse(status: Int, reason: String)
    /// The answer body was larger than ``TwilioRESTConfiguration/maximumResponseBytes``.
    case responseTooLarge(limit: Int)
    /// No complete answer within ``TwilioRESTConfiguration/requestTimeout``.
    case timeout
    /// The connection failed (refused, reset, TLS).
    case transport(String)

    /// Destination error codes reported as ``invalidNumber(_:)``.
    public static let invalidNumberCodes: Set<Int> = [21211, 21214, 21215, 21217, 21219, 13223, 13224]

    /// Twilio's error code, when the answer carried one.
    public var twilioCode: Int? {
        switch self {
        case .authenticationFailed(let e), .notFound(let e), .invalidNumber(let e): e.code
        case .rateLimited(let e, _), .rejected(_, let e), .serverError(_, let e): e?.code
        default: nil
        }
    }

    /// The HTTP status, when an answer arrived.
    public var httpStatus: Int? {
        switch self {
        case .authenticationFailed(let e): e.status ?? 401
        case .notFound(let e): e.status ?? 404
        case .invalidNumber(let e): e.status ?? 400
        case .rateLimited: 429
        case .rejected(let status, _), .serverError(let status, _), .malformedResponse(let status, _): status
        default: nil
        }
    }

    /// Whether the same request may succeed later (rate limits, Twilio's 5xx, timeouts and
    /// connection failures). For a create, a timeout or connection failure may still have
    /// placed the call: check by other means (the status callback) before placing it again.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .serverError, .timeout, .transport: true
        default: false
        }
    }

    /// The pause Twilio asked for (429 only).
    public var retryAfter: Duration? {
        if case .rateLimited(_, let retryAfter) = self { return retryAfter }
        return nil
    }

    /// A short label for logs and metrics.
    public var label: String {
        switch self {
        case .invalidRequest: "invalid_request"
        case .authenticationFailed: "authentication_failed"
        case .notFound: "not_found"
        case .invalidNumber: "invalid_number"
        case .rateLimited: "rate_limited"
        case .rejected: "rejected"
        case .serverError: "server_error"
        case .malformedResponse: "malformed_response"
        case .responseTooLarge: "response_too_large"
        case .timeout: "timeout"
        case .transport: "transport"
        }
    }

    public var description: String {
        switch self {
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .authenticationFailed(let e): "authentication failed (\(e))"
        case .notFound(let e): "not found (\(e))"
        case .invalidNumber(let e): "invalid number (\(e))"
        case .rateLimited(let e, let retryAfter): "rate limited (\(e.map(\.description) ?? "no body"), retry after \(retryAfter.map { "\($0)" } ?? "-"))"
        case .rejected(let status, let e): "rejected with \(status) (\(e.map(\.description) ?? "no body"))"
        case .serverError(let status, let e): "server error \(status) (\(e.map(\.description) ?? "no body"))"
        case .malformedResponse(let status, let reason): "malformed response to \(status): \(reason)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .timeout: "no answer in time"
        case .transport(let reason): "connection failed: \(reason)"
        }
    }
}
