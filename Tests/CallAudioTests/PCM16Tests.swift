import Foundation
import Testing

@testable import CallAudio

@Suite("PCM16")
struct PCM16Tests {
    @Test("odd byte counts are a typed error, never truncation", arguments: [1, 3, 161, 4095])
    func oddBytes(count: Int) {
        let bytes = [UInt8](repeating: 1, count: count)
        #expect(throws: AudioError.oddByteCount(byteCount: count)) { try PCM16.samples(fromLittleEndian: bytes) }
        var out = [Int16](repeating: 0, count: count)
        let result = bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { buffer in
                Result { () throws(AudioError) in try PCM16.decodeLittleEndian(raw, into: buffer) }
            }
        }
        #expect(throws: AudioError.oddByteCount(byteCount: count)) { try result.get() }
    }

    @Test("little-endian round trip")
    func littleEndian() throws {
        let samples: [Int16] = [0, 1, -1, 256, -256, .max, .min, 0x1234]
        let bytes = PCM16.littleEndianBytes(samples)
        #expect(bytes[14] == 0x34 && bytes[15] == 0x12)
        #expect(try PCM16.samples(fromLittleEndian: bytes) == samples)
    }

    @Test("float conversion saturates and rounds")
    func float() {
        #expect(PCM16.fromFloat([1.5, -1.5, 0.5, -0.25, .nan]) == [32767, -32768, 16384, -8192, 0])
        #expect(PCM16.toFloat([-32768, 16384]) == [-1, 0.5])
    }

    @Test("levels in dBFS")
    func levels() {
        let sine = (0..<8000).map { Int16(16384 * sin(2 * Double.pi * 1000 * Double($0) / 8000 + .pi / 2)) }
        // A half-scale sine: peak -6.02 dBFS, RMS 3.01 dB lower.
        #expect(abs(PCM16.peakDBFS(sine) - -6.02) < 0.05)
        #expect(abs(PCM16.rmsDBFS(sine) - -9.03) < 0.05)
        #expect(PCM16.rmsDBFS([Int16](repeating: 0, count: 160)) == PCM16.silenceFloorDBFS)
        #expect(PCM16.rmsDBFS([]) == PCM16.silenceFloorDBFS)
    }

    @Test("gain scales and saturates instead of wrapping")
    func gain() {
        var samples: [Int16] = [1000, -1000, 20000, -20000]
        PCM16.applyGain(decibels: 6.0206, to: &samples)
        #expect(samples == [2000, -2000, 32767, -32768])
        PCM16.applyGain(decibels: -6.0206, to: &samples)
        #expect(samples[0] == 1000)
    }
}
