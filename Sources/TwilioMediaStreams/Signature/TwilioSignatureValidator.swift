import Crypto
import Foundation

/// Computes and checks Twilio's `X-Twilio-Signature`:
/// `base64(HMAC-SHA1(key: auth token, message: URL + sorted parameters))`.
///
/// - Form webhooks (`application/x-www-form-urlencoded`): parameter names sorted, each
///   name's unique values sorted, appended as `name + value` with no separators.
/// - JSON webhooks: the URL carries `bodySHA256` (hex SHA-256 of the raw body); the body
///   hash is checked, then the signature over the URL with no parameters.
/// - The Media Streams WebSocket upgrade: signed over the `wss://` URL written in TwiML,
///   with no parameters (see ``webSocketURL(scheme:host:requestTarget:)`` for proxies).
///
/// A signature is accepted for the URL with its port removed or with the default port
/// added, like Twilio's helper libraries. Comparison is constant-time (swift-crypto's
/// `HMAC.isValidAuthenticationCode`).
public struct TwilioSignatureValidator: Sendable {
    private let key: SymmetricKey

    /// Creates a validator for an account's auth token.
    public init(authToken: String) {
        self.key = SymmetricKey(data: Data(authToken.utf8))
    }

    /// The string Twilio signs: `url` followed by the sorted parameters.
    public static func signedString(url: String, parameters: [String: [String]]) -> String {
        var s = url
        for name in parameters.keys.sorted() {
            for value in Set(parameters[name] ?? []).sorted() {
                s += name
                s += value
            }
        }
        return s
    }

    /// The expected signature (base64) for `url` and `parameters`, exactly as given.
    public func signature(url: String, parameters: [String: [String]] = [:]) -> String {
        let message = Self.signedString(url: url, parameters: parameters)
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(message.utf8), using: key)).base64EncodedString()
    }

    /// Whether `signature` is valid for a form (or parameterless) request to `url`.
    public func isValid(signature: String?, url: String, parameters: [String: [String]] = [:]) -> Bool {
        (try? validate(signature: signature, url: url, parameters: parameters)) != nil
    }

    /// Whether `signature` is valid for a form request with `(name, value)` pairs (names may repeat).
    public func isValid(signature: String?, url: String, parameters: [(name: String, value: String)]) -> Bool {
        isValid(signature: signature, url: url, parameters: Self.group(parameters))
    }

    /// Validates a form (or parameterless) request.
    /// - Throws: ``TwilioSignatureError/missingSignature`` or ``TwilioSignatureError/signatureMismatch``.
    public func validate(signature: String?, url: String, parameters: [String: [String]] = [:]) throws(TwilioSignatureError) {
        guard let signature, !signature.isEmpty else { throw .missingSignature }
        // Only the canonical base64 of a 20-byte MAC: a string that differs in unused padding
        // bits would decode to the same bytes, but Twilio's own libraries compare strings.
        guard let mac = Data(base64Encoded: signature), mac.count == Insecure.SHA1.byteCount,
              mac.base64EncodedString() == signature
        else {
            throw .signatureMismatch
        }
        // The URL without its port and with the default port; and the URL exactly as given
        // when it is neither (an empty port, `host:/path`, would otherwise never validate).
        var candidates = [url]
        if let parsed = SignedURL(url) {
            candidates = [parsed.withoutPort, parsed.withPort]
            if candidates[0] == candidates[1] { candidates.removeLast() }
            if !candidates.contains(url) { candidates.append(url) }
        }
        var valid = false
        for candidate in candidates {
            let message = Data(Self.signedString(url: candidate, parameters: parameters).utf8)
            // Evaluate every candidate (no early exit) so timing does not depend on which matched.
            valid = HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: message, using: key) || valid
        }
        guard valid else { throw .signatureMismatch }
    }

    /// Validates a JSON-body webhook: `bodySHA256` in `url` must equal the body's SHA-256,
    /// and the signature must match `url` with no parameters.
    public func validate(signature: String?, url: String, body: some DataProtocol) throws(TwilioSignatureError) {
        guard let signature, !signature.isEmpty else { throw .missingSignature }
        guard let expected = SignedURL.queryValue("bodySHA256", in: url) else { throw .missingBodyHash }
        let digest = SHA256.hash(data: body)
        let hex = digest.map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
        guard hex == expected.lowercased() else { throw .bodyHashMismatch }
        try validate(signature: signature, url: url, parameters: [:])
    }

    /// Whether a JSON-body webhook is valid (see ``validate(signature:url:body:)``).
    public func isValid(signature: String?, url: String, body: some DataProtocol) -> Bool {
        (try? validate(signature: signature, url: url, body: body)) != nil
    }

    /// Validates the Media Streams WebSocket upgrade: `url` is the `wss://` (or `ws://`) URL
    /// from TwiML, signed with no parameters.
    public func validateWebSocketUpgrade(signature: String?, url: String) throws(TwilioSignatureError) {
        try validate(signature: signature, url: url, parameters: [:])
    }

    /// Rebuilds the URL Twilio signed for a WebSocket upgrade from what the server saw:
    /// `https` becomes `wss` and `http` becomes `ws` (servers behind TLS or a proxy see
    /// those); `wss`/`ws` are kept.
    /// - Parameters:
    ///   - scheme: the scheme the request arrived with, or the first `X-Forwarded-Proto` value.
    ///   - host: the `Host` header, or the first `X-Forwarded-Host` value.
    ///   - requestTarget: the path and query, for example `/ws/sales-bot`.
    public static func webSocketURL(scheme: String, host: String, requestTarget: String) -> String {
        let lower = scheme.lowercased()
        let ws = switch lower {
        case "https", "wss": "wss"
        case "http", "ws": "ws"
        default: lower
        }
        let target = requestTarget.hasPrefix("/") ? requestTarget : "/" + requestTarget
        return "\(ws)://\(host)\(target)"
    }

    /// The first comma-separated value of a forwarding header (`X-Forwarded-Proto: https, http` → `https`).
    public static func firstForwardedValue(_ header: String?) -> String? {
        guard let header else { return nil }
        let first = header.split(separator: ",", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
        return first?.isEmpty == false ? first : nil
    }

    /// Parses an `application/x-www-form-urlencoded` body into name → values (`+` is a space,
    /// `%XX` escapes are decoded; malformed escapes are kept as written).
    public static func formParameters(urlEncoded body: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeFormComponent(parts[0])
            let value = parts.count > 1 ? decodeFormComponent(parts[1]) : ""
            result[name, default: []].append(value)
        }
        return result
    }

    private static func decodeFormComponent(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    private static func group(_ pairs: [(name: String, value: String)]) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for (name, value) in pairs { result[name, default: []].append(value) }
        return result
    }
}
