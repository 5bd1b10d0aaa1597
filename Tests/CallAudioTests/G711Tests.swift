import Foundation
import Crypto
import Testing

@testable import CallAudio

/// Hex digest of SHA-256 over `bytes`.
func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

func hexBytes(_ hex: String) -> [UInt8] {
    let chars = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: chars.count, by: 2).map { UInt8(String(chars[$0...$0 + 1]), radix: 16) ?? 0 }
}

/// Every Int16 from -32768 to 32767 ascending (the exhaustive input of protocols.md §5.3).
let allInt16: [Int16] = (Int(Int16.min)...Int(Int16.max)).map { Int16($0) }

/// The Sun/SoX `st_14linear2ulaw` used by Python's audioop, re-implemented from the
/// reference's description, to show exactly where it differs from G.191.
func sunMuLaw(_ sample: Int16) -> UInt8 {
    let segEnd: [Int32] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
    var x = Int32(sample) >> 2
    var mask: Int32 = 0xFF
    if x < 0 {
        x = -x
        mask = 0x7F
    }
    if x > 8159 { x = 8159 }
    x += 33
    let seg = segEnd.firstIndex { x <= $0 } ?? 8
    if seg >= 8 { return UInt8(truncatingIfNeeded: 0x7F ^ mask) }
    let value = (Int32(seg) << 4) | ((x >> (Int32(seg) + 1)) & 0xF)
    return UInt8(truncatingIfNeeded: value ^ mask)
}

@Suite("G.711")
struct G711Tests {
    @Test("exhaustive input is the reference's")
    func exhaustiveInputHash() {
        #expect(sha256Hex(PCM16.littleEndianBytes(allInt16)) == "697df5e3231fd569f25e5826e4aab08fe4526bb6730a7489aabeb4708e6efe5d")
    }

    @Test("mu-law encoder is bit-exact to ITU-T G.191 on all 65,536 inputs")
    func muLawEncodeExhaustive() {
        #expect(sha256Hex(MuLaw.encode(allInt16)) == "90c29de505fb68e766118303bd552a16005dcf810873698bee1d8f3b247ce28c")
        // The table and the reference computation agree everywhere.
        #expect(allInt16.allSatisfy { MuLaw.encode($0) == MuLaw.compressReference($0) })
    }

    @Test("A-law encoder is bit-exact to ITU-T G.191 (== audioop) on all 65,536 inputs")
    func aLawEncodeExhaustive() {
        #expect(sha256Hex(ALaw.encode(allInt16)) == "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b")
    }

    @Test("decoders match G.191 on all 256 codes")
    func decodeTables() {
        let codes = (0...255).map { UInt8($0) }
        #expect(sha256Hex(PCM16.littleEndianBytes(MuLaw.decode(codes))) == "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827")
        #expect(sha256Hex(PCM16.littleEndianBytes(ALaw.decode(codes))) == "e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174")
    }

    @Test("audioop (Sun) differs from G.191 on exactly 508 negative boundary inputs, by one code")
    func audioopDifference() {
        #expect(sha256Hex(allInt16.map(sunMuLaw)) == "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a")
        let differing = allInt16.filter { sunMuLaw($0) != MuLaw.encode($0) }
        #expect(differing.count == 508)
        #expect(differing.allSatisfy { $0 < 0 && $0 >= -31612 })
        #expect(differing.allSatisfy { abs(Int(sunMuLaw($0)) - Int(MuLaw.encode($0))) == 1 })
        #expect(MuLaw.encode(-1) == 0x7F)
        #expect(sunMuLaw(-1) == 0x7E)
    }

    @Test("reference vectors (pcm, ITU code, decoded)", arguments: [
        (Int16(0), UInt8(0xFF), Int16(0)), (1, 0xFF, 0), (-1, 0x7F, 0), (-4, 0x7F, 0), (-5, 0x7E, -8),
        (15, 0xFD, 16), (-16, 0x7D, -16), (100, 0xF2, 104), (-100, 0x73, -96), (1000, 0xCE, 988),
        (-1000, 0x4E, -988), (4096, 0xAF, 4092), (8159, 0x9F, 8316), (-8159, 0x1F, -8316),
        (32767, 0x80, 32124), (-32768, 0x00, -32124),
    ])
    func muLawVectors(pcm: Int16, code: UInt8, decoded: Int16) {
        #expect(MuLaw.encode(pcm) == code)
        #expect(MuLaw.decode(code) == decoded)
    }

    @Test("A-law reference vectors", arguments: [
        (Int16(0), UInt8(0xD5), Int16(8)), (-1, 0x55, -8), (16, 0xD4, 24), (-16, 0x55, -8),
        (100, 0xD3, 104), (-100, 0x53, -104), (1000, 0xFA, 1008), (-4096, 0x1A, -4032),
        (8159, 0x8A, 8064), (32767, 0xAA, 32256), (-32768, 0x2A, -32256),
    ])
    func aLawVectors(pcm: Int16, code: UInt8, decoded: Int16) {
        #expect(ALaw.encode(pcm) == code)
        #expect(ALaw.decode(code) == decoded)
    }

    @Test("buffer vectors from the reference")
    func bufferVectors() throws {
        let pcm = try PCM16.samples(fromLittleEndian: hexBytes("0000e80318fc401fc0e0ff7f00800000"))
        #expect(pcm == [0, 1000, -1000, 8000, -8000, 32767, -32768, 0])
        #expect(MuLaw.encode(pcm) == hexBytes("ffce4ea0208000ff"))
        #expect(ALaw.encode(pcm) == hexBytes("d5fa7a8a0aaa2ad5"))
        #expect(MuLaw.decode(hexBytes("ffce4ea0208000ff")) == [0, 988, -988, 7932, -7932, 32124, -32124, 0])
        #expect(ALaw.decode(hexBytes("d5fa7a8a0aaa2ad5")) == [8, 1008, -1008, 8064, -8064, 32256, -32256, 8])
    }

    @Test("round trip: every code except mu-law 0x7F re-encodes to itself")
    func roundTrip() {
        for code in 0...255 {
            let byte = UInt8(code)
            #expect(ALaw.encode(ALaw.decode(byte)) == byte)
            #expect(MuLaw.encode(MuLaw.decode(byte)) == (byte == 0x7F ? 0xFF : byte))
        }
    }

    @Test("buffer API equals the array API and checks capacity")
    func bufferAPI() throws {
        var generator = SeededGenerator(seed: 7)
        let samples = (0..<4000).map { _ in Int16.random(in: .min ... .max, using: &generator) }
        var codes = [UInt8](repeating: 0, count: samples.count)
        var decoded = [Int16](repeating: 0, count: samples.count)
        let written = try samples.withUnsafeBufferPointer { input in
            try codes.withUnsafeMutableBufferPointer { output in
                try MuLaw.encode(input, into: output)
            }
        }
        #expect(written == samples.count)
        #expect(codes == MuLaw.encode(samples))
        let decodedCount = try codes.withUnsafeBufferPointer { input in
            try decoded.withUnsafeMutableBufferPointer { output in
                try MuLaw.decode(input, into: output)
            }
        }
        #expect(decodedCount == codes.count)
        let tooSmall = codes.withUnsafeBufferPointer { input in
            decoded.withUnsafeMutableBufferPointer { output in
                Result { () throws(AudioError) in try MuLaw.decode(input, into: UnsafeMutableBufferPointer(rebasing: output.dropLast())) }
            }
        }
        #expect(throws: AudioError.outputBufferTooSmall(required: 4000, available: 3999)) { try tooSmall.get() }
        #expect(decoded == MuLaw.decode(codes))
    }
}

/// A small deterministic PRNG (SplitMix64) so randomized tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
