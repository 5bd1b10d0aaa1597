/// Why a status or AMD callback was refused. Answer 403 for the signature cases, 400 otherwise.
public enum TwilioCallbackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `X-Twilio-Signature`.
    case unsigned
    /// The signature does not match the URL and form (forged, changed, or another token).
    case forged
    /// Body larger than the verifier's limit.
    case bodyTooLarge(limit: Int)
    /// Signed, but not a callback this parser understands.
    case malformed(String)

    public var description: String {
        switch self {
        case .unsigned: "missing X-Twilio-Signature"
        case .forged: "X-Twilio-Signature does not match"
        case .bodyTooLarge(let limit): "callback body larger than \(limit) bytes"
        case .malformed(let reason): "malformed callback: \(reason)"
        }
    }
}
