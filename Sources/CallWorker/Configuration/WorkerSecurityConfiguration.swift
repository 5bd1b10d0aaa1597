import Foundation
import TwilioMediaStreams

/// The worker's security settings (issue 13): signatures fail closed, the stream token,
/// the proxies trusted for `X-Forwarded-Proto`, and the HTTP server's timeouts and
/// connection cap.
///
/// | variable | default | meaning |
/// |---|---|---|
/// | `TWILIO_SIGNATURES` | `on` | `off` switches signature and stream-token checks off (development only); anything but `on`/`off` is refused |
/// | `STREAM_TOKEN_SECRET` | derived from `TWILIO_AUTH_TOKEN` | key of the TwiML stream token (32+ characters) |
/// | `STREAM_TOKEN_TTL` | 60 | seconds a stream token is valid after the TwiML answer |
/// | `TRUSTED_PROXIES` | none | addresses / CIDR blocks whose `X-Forwarded-Proto` is believed |
/// | `HTTP_HEADER_TIMEOUT` | 10 | seconds from connect until the request head is complete (and for a webhook body) |
/// | `HTTP_IDLE_TIMEOUT` | 30 | seconds a keep-alive connection may sit idle |
/// | `MAX_CONNECTIONS` | 1024 | open HTTP/WebSocket connections; above it the oldest connection still sending its head is dropped, or the new one when none is |
public struct WorkerSecurityConfiguration: Sendable {
    /// Whether Twilio signatures (and stream tokens) are checked.
    public enum SignatureMode: String, Sendable, Hashable {
        /// Checked; without an auth token every signed route refuses (fail closed).
        case enforced = "on"
        /// Not checked: `TWILIO_SIGNATURES=off`, for local development and tests only.
        case off
    }

    /// Signature mode (`TWILIO_SIGNATURES`). Default ``SignatureMode/enforced``.
    public var signatures: SignatureMode = .enforced
    /// Dedicated stream-token key (`STREAM_TOKEN_SECRET`); nil derives it from the auth token.
    public var streamTokenSecret: String?
    /// Lifetime of a stream token (`STREAM_TOKEN_TTL` seconds).
    public var streamTokenLifetime: Duration = .seconds(60)
    /// Peers whose `X-Forwarded-Proto` is believed (`TRUSTED_PROXIES`).
    public var trustedProxies: TrustedProxies = .none
    /// Time from connect until the request head is complete; also the limit for reading a
    /// webhook body (`HTTP_HEADER_TIMEOUT` seconds).
    public var headerTimeout: Duration = .seconds(10)
    /// Time a keep-alive connection may stay idle between requests (`HTTP_IDLE_TIMEOUT` seconds).
    public var idleTimeout: Duration = .seconds(30)
    /// Open connections at most (`MAX_CONNECTIONS`).
    public var maximumConnections: Int = 1024

    /// Development settings: no signature checks. Use in local tests and the offline demo.
    public static var development: WorkerSecurityConfiguration {
        var configuration = WorkerSecurityConfiguration()
        configuration.signatures = .off
        return configuration
    }

    /// Creates the defaults (signatures enforced).
    public init() {}

    /// Reads the security variables and applies the fail-closed rules: signatures on need
    /// `TWILIO_AUTH_TOKEN` and `PUBLIC_HOST`.
    /// - Throws: ``WorkerConfigurationError/invalidVariable(name:reason:)`` naming the variable.
    public static func fromEnvironment(
        _ environment: [String: String], twilioAuthToken: String?, publicHost: String?
    ) throws(WorkerConfigurationError) -> WorkerSecurityConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func seconds(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(WorkerConfigurationError) -> Duration {
            guard let raw = value(name) else { return .seconds(fallback) }
            guard let number = Int(raw), range.contains(number) else {
                throw .invalidVariable(name: name, reason: "expected an integer in \(range.lowerBound)...\(range.upperBound), got \"\(raw)\"")
            }
            return .seconds(number)
        }

        var configuration = WorkerSecurityConfiguration()
        switch value("TWILIO_SIGNATURES")?.lowercased() {
        case nil, "on": configuration.signatures = .enforced
        case "off": configuration.signatures = .off
        case let other?:
            throw .invalidVariable(name: "TWILIO_SIGNATURES", reason: "expected on or off, got \"\(other.prefix(16))\"")
        }
        if configuration.signatures == .enforced {
            guard twilioAuthToken != nil else {
                throw .invalidVariable(
                    name: "TWILIO_AUTH_TOKEN",
                    reason: "required: Twilio signatures fail closed; set TWILIO_SIGNATURES=off only for local development")
            }
            guard publicHost != nil else {
                throw .invalidVariable(
                    name: "PUBLIC_HOST",
                    reason: "required with TWILIO_AUTH_TOKEN: signed URLs are rebuilt from it, never from the Host header")
            }
        }
        if let secret = value("STREAM_TOKEN_SECRET") {
            guard secret.utf8.count >= 32 else {
                throw .invalidVariable(name: "STREAM_TOKEN_SECRET", reason: "expected at least 32 characters")
            }
            configuration.streamTokenSecret = secret
        }
        configuration.streamTokenLifetime = try seconds("STREAM_TOKEN_TTL", default: 60, range: 5...3_600)
        if let list = value("TRUSTED_PROXIES") {
            guard let proxies = TrustedProxies(parsing: list) else {
                throw .invalidVariable(name: "TRUSTED_PROXIES", reason: "expected IP addresses or CIDR blocks separated by commas")
            }
            configuration.trustedProxies = proxies
        }
        configuration.headerTimeout = try seconds("HTTP_HEADER_TIMEOUT", default: 10, range: 1...300)
        configuration.idleTimeout = try seconds("HTTP_IDLE_TIMEOUT", default: 30, range: 1...3_600)
        if let raw = value("MAX_CONNECTIONS") {
            guard let number = Int(raw), (2...1_000_000).contains(number) else {
                throw .invalidVariable(name: "MAX_CONNECTIONS", reason: "expected an integer in 2...1000000, got \"\(raw)\"")
            }
            configuration.maximumConnections = number
        }
        return configuration
    }

    /// The stream-token key for `authToken` (nil when signatures are off or no key source).
    func streamTokenKey(authToken: String?) -> StreamTokenKey? {
        guard signatures == .enforced else { return nil }
        if let streamTokenSecret { return StreamTokenKey(secret: streamTokenSecret) }
        return authToken.map { StreamTokenKey(authToken: $0) }
    }

    /// Non-secret settings for the startup log line.
    var logMetadataSummary: [String: String] {
        [
            "stream_token": signatures == .off ? "off" : (streamTokenSecret == nil ? "derived from auth token" : "STREAM_TOKEN_SECRET"),
            "stream_token_ttl_s": "\(streamTokenLifetime.components.seconds)",
            "trusted_proxies": trustedProxies.description,
            "http_header_timeout_s": "\(headerTimeout.components.seconds)",
            "http_idle_timeout_s": "\(idleTimeout.components.seconds)",
            "max_connections": "\(maximumConnections)",
        ]
    }
}
