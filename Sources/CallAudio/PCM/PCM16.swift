#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers for signed 16-bit linear PCM: byte conversion, float conversion, levels and gain.
///
/// Byte order on the wire and in files is always little-endian. Buffer variants write
/// into caller-provided memory and never allocate.
public enum PCM16 {
    /// Full scale used for dBFS and float conversion (a full-scale square wave is 0 dBFS).
    public static let fullScale: Float = 32768

    /// Level reported for digital silence instead of minus infinity.
    public static let silenceFloorDBFS: Double = -120

    // MARK: Bytes <-> samples

    /// Number of samples in `byteCount` bytes.
    /// - Throws: ``AudioError/oddByteCount(byteCount:)`` when `byteCount` is odd.
    @inlinable
    public static func sampleCount(byteCount: Int) throws(AudioError) -> Int {
        guard byteCount % 2 == 0 else { throw .oddByteCount(byteCount: byteCount) }
        return byteCount / 2
    }

    /// Decodes little-endian bytes into `output`. Does not allocate.
    /// - Returns: samples written (`bytes.count / 2`).
    /// - Throws: ``AudioError/oddByteCount(byteCount:)`` or ``AudioError/outputBufferTooSmall(required:available:)``.
    @inlinable
    @discardableResult
    public static func decodeLittleEndian(
        _ bytes: UnsafeRawBufferPointer,
        into output: UnsafeMutableBufferPointer<Int16>
    ) throws(AudioError) -> Int {
        let count = try sampleCount(byteCount: bytes.count)
        guard output.count >= count else { throw .outputBufferTooSmall(required: count, available: output.count) }
        for i in 0..<count {
            output[i] = Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: i &* 2, as: Int16.self))
        }
        return count
    }

    /// Decodes little-endian bytes into a new array.
    /// - Throws: ``AudioError/oddByteCount(byteCount:)``.
    public static func samples(fromLittleEndian bytes: [UInt8]) throws(AudioError) -> [Int16] {
        let count = try sampleCount(byteCount: bytes.count)
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 &* 2, as: Int16.self)) }
        }
    }

    /// Encodes samples as little-endian bytes into `output`, which must hold `2 * samples.count` bytes.
    @inlinable
    @discardableResult
    public static func encodeLittleEndian(
        _ samples: UnsafeBufferPointer<Int16>,
        into output: UnsafeMutableRawBufferPointer
    ) throws(AudioError) -> Int {
        let required = samples.count &* 2
        guard output.count >= required else { throw .outputBufferTooSmall(required: required, available: output.count) }
        for i in 0..<samples.count {
            output.storeBytes(of: samples[i].littleEndian, toByteOffset: i &* 2, as: Int16.self)
        }
        return required
    }

    /// Encodes samples as little-endian bytes into a new array.
    public static func littleEndianBytes(_ samples: [Int16]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: samples.count * 2)
        for (i, sample) in samples.enumerated() {
            let bits = UInt16(bitPattern: sample)
            out[2 * i] = UInt8(truncatingIfNeeded: bits)
            out[2 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
        }
        return out
    }

    // MARK: Float

    /// Converts to Float32 in [-1, 1). Does not allocate.
    @inlinable
    public static func toFloat(_ samples: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Float>) throws(AudioError) {
        guard output.count >= samples.count else {
            throw .outputBufferTooSmall(required: samples.count, available: output.count)
        }
        for i in 0..<samples.count { output[i] = Float(samples[i]) / fullScale }
    }

    /// Converts Float32 to PCM16 with rounding and saturation (values beyond ±1 clip). Does not allocate.
    @inlinable
    public static func fromFloat(_ samples: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Int16>) throws(AudioError) {
        guard output.count >= samples.count else {
            throw .outputBufferTooSmall(required: samples.count, available: output.count)
        }
        for i in 0..<samples.count { output[i] = saturate(samples[i] * fullScale) }
    }

    /// Converts to a new Float32 array in [-1, 1).
    public static func toFloat(_ samples: [Int16]) -> [Float] {
        samples.map { Float($0) / fullScale }
    }

    /// Converts a Float32 array to PCM16 with rounding and saturation.
    public static func fromFloat(_ samples: [Float]) -> [Int16] {
        samples.map { saturate($0 * fullScale) }
    }

    /// Rounds and clamps to the Int16 range; NaN becomes 0.
    @inlinable
    public static func saturate(_ value: Float) -> Int16 {
        guard !value.isNaN else { return 0 }
        let rounded = value.rounded()
        if rounded >= 32767 { return .max }
        if rounded <= -32768 { return .min }
        return Int16(rounded)
    }

    // MARK: Levels

    /// Root-mean-square level, linear, in sample units (0...32768).
    @inlinable
    public static func rms(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum: Int64 = 0
        for sample in samples {
            let value = Int64(sample)
            sum &+= value &* value
        }
        return (Double(sum) / Double(samples.count)).squareRoot()
    }

    /// RMS level in dBFS (0 dBFS = full-scale square wave); ``silenceFloorDBFS`` for silence.
    @inlinable
    public static func rmsDBFS(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        decibels(rms(samples))
    }

    /// Peak absolute level in dBFS; ``silenceFloorDBFS`` for silence.
    @inlinable
    public static func peakDBFS(_ samples: UnsafeBufferPointer<Int16>) -> Double {
        var peak: Int32 = 0
        for sample in samples { peak = max(peak, abs(Int32(sample))) }
        return decibels(Double(peak))
    }

    /// RMS level in dBFS of an array.
    public static func rmsDBFS(_ samples: [Int16]) -> Double {
        samples.withUnsafeBufferPointer { rmsDBFS($0) }
    }

    /// Peak level in dBFS of an array.
    public static func peakDBFS(_ samples: [Int16]) -> Double {
        samples.withUnsafeBufferPointer { peakDBFS($0) }
    }

    /// Converts a linear amplitude in sample units to dBFS.
    @inlinable
    public static func decibels(_ amplitude: Double) -> Double {
        guard amplitude > 0 else { return silenceFloorDBFS }
        return max(silenceFloorDBFS, 20 * log10(amplitude / Double(fullScale)))
    }

    // MARK: Gain

    /// Multiplies samples by `10^(dB/20)` in place, saturating instead of wrapping.
    @inlinable
    public static func applyGain(decibels gain: Double, to samples: UnsafeMutableBufferPointer<Int16>) {
        let factor = Float(pow(10, gain / 20))
        for i in 0..<samples.count {
            samples[i] = saturate(Float(samples[i]) * factor)
        }
    }

    /// Multiplies samples by `10^(dB/20)` in place, saturating instead of wrapping.
    public static func applyGain(decibels gain: Double, to samples: inout [Int16]) {
        samples.withUnsafeMutableBufferPointer { applyGain(decibels: gain, to: $0) }
    }
}
