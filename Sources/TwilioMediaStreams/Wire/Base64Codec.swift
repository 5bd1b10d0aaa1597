/// Standard base64 (RFC 4648 §4, with `=` padding) into and out of caller-provided memory.
///
/// Twilio payloads are standard padded base64. Decoding is strict: the length must be a
/// multiple of 4, padding may only end the text, and no other byte than the 64-letter
/// alphabet is accepted (no whitespace). Neither direction allocates.
public enum Base64Codec {
    /// Sentinel in ``decodeTable`` for a byte outside the alphabet.
    static let invalid: UInt8 = 0xFF

    nonisolated(unsafe) static let alphabet: UnsafePointer<UInt8> = immortal(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8))

    nonisolated(unsafe) static let decodeTable: UnsafePointer<UInt8> = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return immortal(table)
    }()

    /// Bytes `encode` writes for `count` input bytes.
    @inline(__always)
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// The number of bytes `text` decodes to, or nil when its length or padding is invalid.
    public static func decodedCount(_ text: UnsafeRawBufferPointer) -> Int? {
        let n = text.count
        guard n % 4 == 0 else { return nil }
        guard n > 0 else { return 0 }
        var padding = 0
        if text[n - 1] == UInt8(ascii: "=") { padding += 1 }
        if text[n - 2] == UInt8(ascii: "=") {
            guard padding == 1 else { return nil }
            padding += 1
        }
        return n / 4 * 3 - padding
    }

    /// Decodes `text` into `output`, which must hold `decodedCount(text)` bytes.
    /// - Returns: the byte count, or nil when `text` is not valid padded base64.
    public static func decode(_ text: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        guard let count = decodedCount(text), output.count >= count else { return nil }
        guard count > 0, let src = text.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let dst = output.baseAddress
        else { return count == 0 ? 0 : nil }
        let table = decodeTable
        let quads = text.count / 4
        var o = 0
        // Every quad but the last has no padding.
        for q in 0..<(quads - 1) {
            let i = q &* 4
            let a = table[Int(src[i])], b = table[Int(src[i &+ 1])]
            let c = table[Int(src[i &+ 2])], d = table[Int(src[i &+ 3])]
            guard (a | b | c | d) & 0xC0 == 0 else { return nil }
            dst[o] = a << 2 | b >> 4
            dst[o &+ 1] = b << 4 | c >> 2
            dst[o &+ 2] = c << 6 | d
            o &+= 3
        }
        let i = (quads - 1) &* 4
        let a = table[Int(src[i])], b = table[Int(src[i &+ 1])]
        guard (a | b) & 0xC0 == 0 else { return nil }
        dst[o] = a << 2 | b >> 4
        o &+= 1
        let pad = UInt8(ascii: "=")
        if src[i &+ 2] == pad {
            // "xx==": the unused low bits of b must be zero for a canonical encoding.
            guard src[i &+ 3] == pad, b & 0x0F == 0 else { return nil }
            return o
        }
        let c = table[Int(src[i &+ 2])]
        guard c & 0xC0 == 0 else { return nil }
        dst[o] = b << 4 | c >> 2
        o &+= 1
        if src[i &+ 3] == pad {
            guard c & 0x03 == 0 else { return nil }
            return o
        }
        let d = table[Int(src[i &+ 3])]
        guard d & 0xC0 == 0 else { return nil }
        dst[o] = c << 6 | d
        return o &+ 1
    }

    /// Encodes `input` into `output`, which must hold `encodedCount(input.count)` bytes.
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let n = input.count
        let needed = encodedCount(n)
        precondition(output.count >= needed, "base64 output buffer too small")
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let dst = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { return 0 }
        let table = alphabet
        var i = 0
        var o = 0
        while n &- i >= 3 {
            let a = src[i], b = src[i &+ 1], c = src[i &+ 2]
            dst[o] = table[Int(a >> 2)]
            dst[o &+ 1] = table[Int((a & 0x03) << 4 | b >> 4)]
            dst[o &+ 2] = table[Int((b & 0x0F) << 2 | c >> 6)]
            dst[o &+ 3] = table[Int(c & 0x3F)]
            i &+= 3
            o &+= 4
        }
        let rest = n &- i
        if rest > 0 {
            let a = src[i]
            let b: UInt8 = rest == 2 ? src[i &+ 1] : 0
            dst[o] = table[Int(a >> 2)]
            dst[o &+ 1] = table[Int((a & 0x03) << 4 | b >> 4)]
            dst[o &+ 2] = rest == 2 ? table[Int((b & 0x0F) << 2)] : UInt8(ascii: "=")
            dst[o &+ 3] = UInt8(ascii: "=")
            o &+= 4
        }
        return o
    }

    private static func immortal(_ values: [UInt8]) -> UnsafePointer<UInt8> {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: values.count)
        pointer.initialize(from: values, count: values.count)
        return UnsafePointer(pointer)
    }
}
