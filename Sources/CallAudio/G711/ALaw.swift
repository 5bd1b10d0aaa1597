/// G.711 A-law (Europe and most of the world outside North America and Japan).
///
/// Bit-exact to ITU-T G.191 STL `alaw_compress` / `alaw_expand`, which Python's
/// `audioop.lin2alaw` / `alaw2lin` also equal on every input. A-law has no exact zero:
/// PCM 0 encodes to `0xD5`, which decodes to +8.
public enum ALaw: G711Codec {
    /// The code PCM 0 encodes to (`0xD5`).
    public static let silenceCode: UInt8 = 0xD5

    /// The G.191 encoding of every PCM16 input, indexed by bit pattern.
    public static var encodeTable: UnsafePointer<UInt8> { aLawEncodeTablePointer }

    /// The G.191 decoding of every code.
    public static var decodeTable: UnsafePointer<Int16> { aLawDecodeTablePointer }

    /// The G.191 `alaw_compress` computation for one sample, without tables.
    public static func compressReference(_ x: Int16) -> UInt8 {
        let value = Int32(x)
        var ix: Int32 = value < 0 ? ((~value) >> 4) : (value >> 4)
        if ix > 15 {
            var exponent: Int32 = 1
            while ix > 16 + 15 {
                ix >>= 1
                exponent += 1
            }
            ix -= 16
            ix += exponent << 4
        }
        if value >= 0 { ix |= 0x0080 }
        return UInt8(truncatingIfNeeded: ix ^ 0x0055)
    }

    /// The G.191 `alaw_expand` computation for one code, without tables.
    public static func expandReference(_ code: UInt8) -> Int16 {
        let ix = Int32(code ^ 0x55) & 0x7F
        let exponent = ix >> 4
        var mantissa = ix & 0x0F
        if exponent > 0 { mantissa += 16 }
        mantissa = (mantissa << 4) + 0x0008
        if exponent > 1 { mantissa <<= (exponent - 1) }
        return Int16(code > 127 ? mantissa : -mantissa)
    }
}

@usableFromInline
nonisolated(unsafe) let aLawEncodeTablePointer: UnsafePointer<UInt8> = makeImmortalTable(
    (0...0xFFFF).map { ALaw.compressReference(Int16(bitPattern: UInt16($0))) }
)

@usableFromInline
nonisolated(unsafe) let aLawDecodeTablePointer: UnsafePointer<Int16> = makeImmortalTable(
    (0...0xFF).map { ALaw.expandReference(UInt8($0)) }
)
