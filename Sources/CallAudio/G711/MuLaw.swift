/// G.711 mu-law (North America, Japan; Twilio's `audio/x-mulaw`).
///
/// Bit-exact to ITU-T G.191 STL `ulaw_compress` / `ulaw_expand`.
///
/// Python's `audioop.lin2ulaw` (the Sun/SoX `g711.c` code) differs from G.191 on 508
/// negative inputs that sit on decision boundaries (127 groups of 4 within -31612...-1),
/// always by one adjacent code: it negates with two's complement where G.191 uses one's
/// complement. For example -1 encodes to `0x7F` (negative zero) here and `0x7E` in
/// audioop. This type matches **G.191**; the difference is one LSB and inaudible.
/// Both decoders agree on all 256 codes.
public enum MuLaw: G711Codec {
    /// Mu-law digital silence (`0xFF`, positive zero).
    public static let silenceCode: UInt8 = 0xFF

    /// The G.191 encoding of every PCM16 input, indexed by bit pattern.
    public static var encodeTable: UnsafePointer<UInt8> { muLawEncodeTablePointer }

    /// The G.191 decoding of every code.
    public static var decodeTable: UnsafePointer<Int16> { muLawDecodeTablePointer }

    /// The G.191 `ulaw_compress` computation for one sample, without tables.
    public static func compressReference(_ x: Int16) -> UInt8 {
        let value = Int32(x)
        var absno: Int32 = value < 0 ? ((~value) >> 2) : (value >> 2)
        absno += 33
        if absno > 0x1FFF { absno = 0x1FFF }
        var i = absno >> 6
        var segno: Int32 = 1
        while i != 0 {
            segno += 1
            i >>= 1
        }
        let high = 0x0008 - segno
        let low = 0x000F - ((absno >> segno) & 0x000F)
        var out = (high << 4) | low
        if value >= 0 { out |= 0x0080 }
        return UInt8(truncatingIfNeeded: out)
    }

    /// The G.191 `ulaw_expand` computation for one code, without tables.
    public static func expandReference(_ code: UInt8) -> Int16 {
        let sign: Int32 = code < 0x80 ? -1 : 1
        let m = Int32(~code & 0xFF)
        let exponent = (m >> 4) & 0x07
        let segment = exponent + 1
        let mantissa = m & 0x0F
        let step: Int32 = 4 << segment
        let value = sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33)
        return Int16(value)
    }
}

@usableFromInline
nonisolated(unsafe) let muLawEncodeTablePointer: UnsafePointer<UInt8> = makeImmortalTable(
    (0...0xFFFF).map { MuLaw.compressReference(Int16(bitPattern: UInt16($0))) }
)

@usableFromInline
nonisolated(unsafe) let muLawDecodeTablePointer: UnsafePointer<Int16> = makeImmortalTable(
    (0...0xFF).map { MuLaw.expandReference(UInt8($0)) }
)

/// Copies a table into memory that lives for the whole process, so hot loops can
/// index a raw pointer without retain/release or bounds checks.
func makeImmortalTable<T>(_ values: [T]) -> UnsafePointer<T> {
    let pointer = UnsafeMutablePointer<T>.allocate(capacity: values.count)
    pointer.initialize(from: values, count: values.count)
    return UnsafePointer(pointer)
}
