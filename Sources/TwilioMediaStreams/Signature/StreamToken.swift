import Crypto
import Foundation

/// What a stream token vouches for: the call and account the signed voice webhook named,
/// the bot whose TwiML answered it, the other `<Parameter>` pairs of that answer, and an
/// expiry.
///
/// The worker answers `POST /twiml/{botId}` (signed by Twilio) with TwiML carrying
/// `<Parameter name="stream_token" value="v1.<expiry>.<mac>"/>`; Twilio passes it back in
/// `start.customParameters`, and ``StreamAdmission`` recomputes the MAC from the `start`
/// message. A stream whose `start` was forged, replayed after expiry, moved to another bot or
/// call, or had a parameter changed does not match. The ids and parameters are not in the
/// token text, only in its MAC, so the TwiML stays short (Twilio limits a parameter to 500
/// characters).
public struct StreamToken: Sendable, Hashable {
    /// The `<Parameter>` name the token travels under.
    public static let parameterName = "stream_token"

    /// The call (`CallSid` of the webhook, `start.callSid`).
    public var callSid: String
    /// The account (`AccountSid` of the webhook, `start.accountSid`).
    public var accountSid: String
    /// The bot of the route (`/twiml/{botId}`, `/ws/{botId}`).
    public var botID: String
    /// The other custom parameters of the TwiML answer (without ``parameterName``).
    public var parameters: [String: String]
    /// Expiry, Unix seconds.
    public var expiresAt: Int64

    /// Creates the claims of a token.
    public init(callSid: String, accountSid: String, botID: String, parameters: [String: String] = [:], expiresAt: Int64) {
        self.callSid = callSid
        self.accountSid = accountSid
        self.botID = botID
        self.parameters = parameters
        self.expiresAt = expiresAt
    }

    /// The bytes the MAC covers: a version label, then each field length-prefixed (so no two
    /// different claims share an encoding), parameters sorted by name.
    func message() -> Data {
        var out = Data("call-worker stream token v1\n".utf8)
        func field(_ text: String) {
            out.append(contentsOf: "\(text.utf8.count):".utf8)
            out.append(contentsOf: text.utf8)
        }
        field(callSid)
        field(accountSid)
        field(botID)
        field(String(expiresAt))
        for name in parameters.keys.sorted() where name != Self.parameterName {
            field(name)
            field(parameters[name] ?? "")
        }
        return out
    }
}

/// The HMAC-SHA256 key that signs and checks ``StreamToken``s.
///
/// By default it is derived (HKDF-SHA256) from the Twilio auth token, which every worker of
/// the account already has, so a token issued by one worker's webhook is accepted by the
/// worker the stream reaches; `STREAM_TOKEN_SECRET` replaces it (for example to rotate the
/// token key without touching Twilio). Neither the key nor its input is ever logged.
public struct StreamTokenKey: Sendable {
    private let key: SymmetricKey

    /// The key derived from a Twilio auth token.
    public init(authToken: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(authToken.utf8)),
            salt: Data("call-worker".utf8),
            info: Data("stream token v1".utf8),
            outputByteCount: 32
        )
    }

    /// A key from a dedicated secret (at least 32 bytes of it is the caller's business).
    public init(secret: String) {
        key = SymmetricKey(data: SHA256.hash(data: Data(secret.utf8)))
    }

    /// The token text for `claims`: `v1.<expiresAt>.<base64url(HMAC-SHA256)>`.
    public func sign(_ claims: StreamToken) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: claims.message(), using: key)
        return "v1.\(claims.expiresAt).\(Self.base64URL(Data(mac)))"
    }

    /// Checks `text` against the ids, bot and parameters the `start` message presents.
    /// - Parameters:
    ///   - parameters: the stream's custom parameters (``StreamToken/parameterName`` is ignored).
    ///   - now: Unix seconds.
    /// - Returns: the verified claims.
    /// - Throws: ``StreamTokenError`` (missing, malformed, mismatch, expired; the MAC is
    ///   checked before the expiry so a forged expiry reads as a forgery).
    public func verify(
        _ text: String?, callSid: String, accountSid: String, botID: String, parameters: [String: String], now: Int64
    ) throws(StreamTokenError) -> StreamToken {
        guard let text, !text.isEmpty else { throw .missing }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", parts[1].utf8.count <= 18,
              parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let expiresAt = Int64(parts[1]),
              let mac = Self.decodeBase64URL(parts[2]), mac.count == SHA256.byteCount
        else { throw .malformed }
        var others = parameters
        others[StreamToken.parameterName] = nil
        let claims = StreamToken(callSid: callSid, accountSid: accountSid, botID: botID, parameters: others, expiresAt: expiresAt)
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: claims.message(), using: key) else { throw .mismatch }
        guard now < expiresAt else { throw .expired(expiresAt: expiresAt, now: now) }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        var s = data.base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }) else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.utf8.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s), base64URL(data) == text else { return nil }
        return data
    }
}
