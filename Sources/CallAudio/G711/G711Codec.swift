/// A G.711 companding law: 16-bit linear PCM to 8-bit codes and back.
///
/// ``MuLaw`` and ``ALaw`` conform. Both encoders are bit-exact to the ITU-T G.191
/// reference (`ulaw_compress` / `alaw_compress` in STL `g711.c`) on all 65,536 inputs,
/// and both decoders equal `ulaw_expand` / `alaw_expand` on all 256 codes.
///
/// The buffer variants write into caller-provided memory and never allocate, for the
/// per-frame path; the array variants allocate their result, for convenience.
public protocol G711Codec: Sendable {
    /// The code a silent (all-zero) PCM sample encodes to.
    static var silenceCode: UInt8 { get }

    /// The 65,536-entry encoding table, indexed by a sample's bit pattern.
    /// Lives for the whole process; hot loops index it directly.
    static var encodeTable: UnsafePointer<UInt8> { get }
    /// The 256-entry decoding table, indexed by code. Lives for the whole process.
    static var decodeTable: UnsafePointer<Int16> { get }
}

extension G711Codec {
    /// Decodes `codes` into `output`, which must hold at least `codes.count` samples.
    ///
    /// Does not allocate.
    /// - Returns: the number of samples written (`codes.count`).
    /// - Throws: ``AudioError/outputBufferTooSmall(required:available:)``.
    @inlinable
    @discardableResult
    public static func decode(
        _ codes: UnsafeBufferPointer<UInt8>,
        into output: UnsafeMutableBufferPointer<Int16>
    ) throws(AudioError) -> Int {
        let count = codes.count
        guard output.count >= count else {
            throw .outputBufferTooSmall(required: count, available: output.count)
        }
        guard count > 0, let src = codes.baseAddress, let dst = output.baseAddress else { return 0 }
        let table = decodeTable
        for i in 0..<count {
            dst[i] = table[Int(src[i])]
        }
        return count
    }

    /// Encodes `samples` into `output`, which must hold at least `samples.count` bytes.
    ///
    /// Does not allocate.
    /// - Returns: the number of bytes written (`samples.count`).
    /// - Throws: ``AudioError/outputBufferTooSmall(required:available:)``.
    @inlinable
    @discardableResult
    public static func encode(
        _ samples: UnsafeBufferPointer<Int16>,
        into output: UnsafeMutableBufferPointer<UInt8>
    ) throws(AudioError) -> Int {
        let count = samples.count
        guard output.count >= count else {
            throw .outputBufferTooSmall(required: count, available: output.count)
        }
        guard count > 0, let src = samples.baseAddress, let dst = output.baseAddress else { return 0 }
        let table = encodeTable
        for i in 0..<count {
            dst[i] = table[Int(UInt16(bitPattern: src[i]))]
        }
        return count
    }

    /// Decodes a sequence of codes into a new array of PCM16 samples.
    public static func decode(_ codes: some Sequence<UInt8>) -> [Int16] {
        let table = decodeTable
        return codes.map { table[Int($0)] }
    }

    /// Encodes a sequence of PCM16 samples into a new array of codes.
    public static func encode(_ samples: some Sequence<Int16>) -> [UInt8] {
        let table = encodeTable
        return samples.map { table[Int(UInt16(bitPattern: $0))] }
    }

    /// Encodes one linear PCM16 sample (table lookup).
    @inlinable
    public static func encode(_ sample: Int16) -> UInt8 {
        encodeTable[Int(UInt16(bitPattern: sample))]
    }

    /// Decodes one code to linear PCM16 (table lookup).
    @inlinable
    public static func decode(_ code: UInt8) -> Int16 {
        decodeTable[Int(code)]
    }
}
