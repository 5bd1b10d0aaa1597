/// The one error type every speech provider (STT, LLM, TTS) throws.
///
/// The ``kind`` drives the resilience layer: ``Kind/isRetryable`` decides whether a
/// retry may happen, ``Kind/countsAsProviderFailure`` whether the circuit breaker counts it.
/// Numbers in it that came from the provider (``retryAfter``) are already clamped.
/// Messages never contain credentials: providers must redact API keys before building one.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, coarse enough to make decisions on.
    public enum Kind: Sendable, Equatable, Hashable {
        /// Credentials were missing or rejected (HTTP 401).
        case authentication
        /// The credentials are valid but not allowed to do this (HTTP 403).
        case permissionDenied
        /// The account has no quota left (OpenAI `insufficient_quota`). Never retried.
        case quotaExhausted
        /// The provider asked us to slow down (HTTP 429 rate limit); see ``ProviderError/retryAfter``.
        case rateLimited
        /// The request itself is wrong (HTTP 400, 404, 422); retrying cannot help.
        case invalidRequest
        /// The input exceeds a provider limit (for example the 25 MB upload limit, HTTP 413).
        case inputTooLarge
        /// The provider failed (HTTP 5xx, 408, 409).
        case server
        /// A timeout of the given stage fired.
        case timeout(TimeoutStage)
        /// The connection could not be made or broke (reset, closed early).
        case connection
        /// The caller cancelled the request.
        case cancelled
        /// The provider answered something that could not be understood.
        case malformedResponse
        /// The provider's circuit breaker is open; no request was sent.
        case circuitOpen

        /// Whether another attempt of the same request may succeed.
        public var isRetryable: Bool {
            switch self {
            case .rateLimited, .server, .connection:
                return true
            case .timeout(let stage):
                return stage != .total
            case .authentication, .permissionDenied, .quotaExhausted, .invalidRequest, .inputTooLarge,
                .cancelled, .malformedResponse, .circuitOpen:
                return false
            }
        }

        /// Whether the failure says something about the provider's health and so counts
        /// towards opening its circuit breaker. Cancellation and bad requests do not, and
        /// neither does a rate limit (`429`): it is answered with backoff, and one busy call
        /// must not open the breaker that every call on the worker shares.
        public var countsAsProviderFailure: Bool {
            switch self {
            case .authentication, .permissionDenied, .quotaExhausted, .server, .timeout,
                .connection, .malformedResponse:
                return true
            case .rateLimited, .invalidRequest, .inputTooLarge, .cancelled, .circuitOpen:
                return false
            }
        }

        /// A short stable label for metrics and logs (for example `rate_limited`, `timeout_first_byte`).
        public var label: String {
            switch self {
            case .authentication: return "authentication"
            case .permissionDenied: return "permission_denied"
            case .quotaExhausted: return "quota_exhausted"
            case .rateLimited: return "rate_limited"
            case .invalidRequest: return "invalid_request"
            case .inputTooLarge: return "input_too_large"
            case .server: return "server"
            case .timeout(let stage): return "timeout_\(stage.rawValue)"
            case .connection: return "connection"
            case .cancelled: return "cancelled"
            case .malformedResponse: return "malformed_response"
            case .circuitOpen: return "circuit_open"
            }
        }
    }

    /// The error's category.
    public var kind: Kind
    /// Name of the provider that failed (for example `openai`).
    public var provider: String
    /// A human-readable explanation without secrets.
    public var message: String
    /// HTTP status code, when the failure came from an HTTP response.
    public var statusCode: Int?
    /// How long the provider asked us to wait before retrying, if it said so.
    public var retryAfter: Duration?
    /// An explicit retry decision from the provider (OpenAI's `x-should-retry` header) that overrides ``Kind/isRetryable``.
    public var shouldRetryOverride: Bool?
    /// The provider's request id (for example `x-request-id`), for support tickets.
    public var requestID: String?

    /// Creates an error.
    public init(
        _ kind: Kind,
        provider: String,
        message: String,
        statusCode: Int? = nil,
        retryAfter: Duration? = nil,
        shouldRetryOverride: Bool? = nil,
        requestID: String? = nil
    ) {
        self.kind = kind
        self.provider = provider
        self.message = message
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.shouldRetryOverride = shouldRetryOverride
        self.requestID = requestID
    }

    /// Whether a retry may help, honouring ``shouldRetryOverride``.
    public var isRetryable: Bool {
        if kind == .quotaExhausted || kind == .cancelled || kind == .circuitOpen { return false }
        return shouldRetryOverride ?? kind.isRetryable
    }

    /// A one-line description: provider, kind, status and message.
    public var description: String {
        var text = "\(provider): \(kind.label)"
        if let statusCode { text += " (HTTP \(statusCode))" }
        if !message.isEmpty { text += ": \(message)" }
        if let requestID { text += " [request \(requestID)]" }
        return text
    }

    /// Wraps any error thrown by provider code: a ``ProviderError`` is returned unchanged,
    /// `CancellationError` becomes ``Kind/cancelled``, anything else ``Kind/connection``.
    public static func wrapping(_ error: any Error, provider: String) -> ProviderError {
        if let error = error as? ProviderError { return error }
        if error is CancellationError {
            return ProviderError(.cancelled, provider: provider, message: "cancelled")
        }
        return ProviderError(.connection, provider: provider, message: String(describing: error))
    }
}

/// The stage of a request whose timeout fired.
public enum TimeoutStage: String, Sendable, Hashable {
    /// No first byte / token / chunk arrived in time.
    case firstByte = "first_byte"
    /// The gap between two chunks was too long.
    case stall
    /// The whole request (all attempts) took too long.
    case total
}
