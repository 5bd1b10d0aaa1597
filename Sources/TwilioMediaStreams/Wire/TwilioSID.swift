/// The shape of Twilio resource ids: a two-letter type prefix and 32 hexadecimal digits
/// (`CA…` calls, `AC…` accounts, `MZ…` media streams).
///
/// Checked once per stream on `start` (and on the TwiML webhook), never per media frame.
/// Both letter cases are accepted for the hex digits; Twilio writes lowercase.
public enum TwilioSID {
    /// The kinds of id the worker checks.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A call (`CA`).
        case call = "CA"
        /// An account (`AC`).
        case account = "AC"
        /// A media stream (`MZ`).
        case stream = "MZ"
    }

    /// Number of hex digits after the prefix.
    public static let hexDigits = 32

    /// Whether `value` is `kind`'s prefix followed by exactly 32 hex digits.
    public static func isValid(_ value: String, kind: Kind) -> Bool {
        let utf8 = value.utf8
        guard utf8.count == 2 + hexDigits, utf8.starts(with: kind.rawValue.utf8) else { return false }
        return utf8.dropFirst(2).allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
                true
            default:
                false
            }
        }
    }
}
