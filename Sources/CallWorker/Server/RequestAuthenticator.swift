import Foundation
import HTTPTypes
import Hummingbird
import TwilioMediaStreams

/// Decides whether a webhook or WebSocket upgrade carries a valid `X-Twilio-Signature`, and
/// issues and checks the stream token. Fails closed.
///
/// The URL a signature is checked against is rebuilt as `scheme://PUBLIC_HOST/path?query`:
/// - the host and port are always `PUBLIC_HOST` (never `Host`, `X-Forwarded-Host` or
///   `X-Forwarded-Port`); with signatures on and no public host every request is refused;
/// - the scheme is `wss` for the upgrade (the TwiML stream URL) and `https` for webhooks,
///   unless the TCP peer is one of ``WorkerSecurityConfiguration/trustedProxies`` and says
///   `X-Forwarded-Proto: http` (then `ws` / `http`);
/// - the request target (path and query) is taken as received, so any change to it breaks
///   the signature. Twilio's port quirk (`:443` added or removed) is accepted by
///   ``TwilioSignatureValidator``.
struct RequestAuthenticator: Sendable {
    /// The outcome of a signature check.
    enum Outcome: Equatable {
        /// Valid signature, or signatures off.
        case allowed
        /// Refused with 403; `reason` goes to the log, `url` is the URL checked (if any).
        case refused(reason: String, url: String?)
    }

    let signatures: WorkerSecurityConfiguration.SignatureMode
    let validator: TwilioSignatureValidator?
    let publicHost: String?
    let trustedProxies: TrustedProxies
    let tokenKey: StreamTokenKey?
    let tokenLifetime: Duration
    let streamAdmission: StreamAdmission

    static let signatureHeader = HTTPField.Name("X-Twilio-Signature")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    init(configuration: WorkerConfiguration, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        let security = configuration.security
        signatures = security.signatures
        validator = configuration.twilioAuthToken.map { TwilioSignatureValidator(authToken: $0) }
        publicHost = configuration.publicHost
        trustedProxies = security.trustedProxies
        tokenLifetime = security.streamTokenLifetime
        let key = security.streamTokenKey(authToken: configuration.twilioAuthToken)
        tokenKey = key
        if let key {
            streamAdmission = StreamAdmission(policy: .tokenRequired(key: key, replays: StreamTokenReplayCache()), clock: clock)
        } else if security.signatures == .off {
            streamAdmission = .open
        } else {
            // Enforced but no key source: no token can be valid (fail closed).
            streamAdmission = StreamAdmission(
                policy: .tokenRequired(key: StreamTokenKey(secret: UUID().uuidString + UUID().uuidString), replays: StreamTokenReplayCache()),
                clock: clock)
        }
        self.clock = clock
    }

    private let clock: @Sendable () -> Int64

    /// Whether signatures are checked.
    var isEnforced: Bool { signatures == .enforced }

    /// The URL Twilio signed for `request`, or nil when it cannot be known (no public host).
    func signedURL(request: Request, peerAddress: String?, webSocket: Bool) -> String? {
        guard let publicHost else { return nil }
        var secure = true
        if trustedProxies.contains(ipAddress: peerAddress),
           let proto = TwilioSignatureValidator.firstForwardedValue(request.headers[Self.forwardedProto])?.lowercased()
        {
            secure = !(proto == "http" || proto == "ws")
        }
        let scheme = webSocket ? (secure ? "wss" : "ws") : (secure ? "https" : "http")
        let target = request.uri.description
        return "\(scheme)://\(publicHost)\(target.hasPrefix("/") ? target : "/" + target)"
    }

    /// Checks the signature of `request` (form `parameters` for webhooks, none for the upgrade).
    func check(request: Request, parameters: [String: [String]], peerAddress: String?, webSocket: Bool) -> Outcome {
        guard isEnforced else { return .allowed }
        guard let validator else { return .refused(reason: "no TWILIO_AUTH_TOKEN configured", url: nil) }
        guard let url = signedURL(request: request, peerAddress: peerAddress, webSocket: webSocket) else {
            return .refused(reason: "no PUBLIC_HOST configured", url: nil)
        }
        do throws(TwilioSignatureError) {
            try validator.validate(signature: request.headers[Self.signatureHeader], url: url, parameters: parameters)
            return .allowed
        } catch {
            return .refused(reason: error == .missingSignature ? "missing X-Twilio-Signature" : "bad X-Twilio-Signature", url: url)
        }
    }

    /// The stream token for a TwiML answer, or nil when signatures are off.
    func streamToken(callSid: String, accountSid: String, botID: String, parameters: [String: String]) -> String? {
        guard let tokenKey else { return nil }
        let expiresAt = clock() + tokenLifetime.components.seconds
        return tokenKey.sign(StreamToken(callSid: callSid, accountSid: accountSid, botID: botID, parameters: parameters, expiresAt: expiresAt))
    }
}
