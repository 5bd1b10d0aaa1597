/// `application/x-www-form-urlencoded` bodies as Twilio's helper library writes them
/// (Python's `urlencode` with `quote_plus`): letters, digits and `_.-~` stay, a space becomes
/// `+`, every other byte becomes `%XX` (upper case). Repeated names stay repeated
/// (`StatusCallbackEvent=initiated&StatusCallbackEvent=ringing`).
public enum TwilioFormEncoder {
    /// `name=value&name=value…` in the given order.
    public static func encode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    /// One escaped component.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" + hex : hex)
            }
        }
        return out
    }
}
