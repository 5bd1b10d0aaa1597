/// Parses Twilio's decimal-string counters (`sequenceNumber`, `chunk`, `timestamp`).
///
/// Accepts 1 to 19 ASCII digits and nothing else (no sign, no spaces), so the fast path
/// and the JSONDecoder path agree on every input.
enum DecimalString {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count > 0, bytes.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return value
    }

    static func parse(_ string: String) -> UInt64? {
        var copy = string
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}
