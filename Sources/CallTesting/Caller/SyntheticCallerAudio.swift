import CallAudio
import Foundation

/// Synthetic caller audio as 160-byte (20 ms) G.711 mu-law frames, for tests, demos and load
/// runs that need a caller without recordings or a speech synthesizer.
///
/// - ``silence(seconds:seed:)``: faint noise (a phone line is never digitally silent).
/// - ``speech(seconds:seed:)``: a speech-like voiced signal (harmonics of a gliding pitch
///   weighted by two formants, with a syllable envelope and a little noise) that the voice
///   activity detector accepts as speech. Different seeds give different pitch contours.
///
/// Deterministic: the same arguments always give the same bytes.
public enum SyntheticCallerAudio {
    /// Frames of faint noise.
    public static func silence(seconds: Double, seed: UInt64 = 3) -> [[UInt8]] {
        frames(noise(Int(seconds * 8000), seed: seed))
    }

    /// Frames of a speech-like signal.
    public static func speech(seconds: Double, seed: UInt64 = 1) -> [[UInt8]] {
        let count = Int(seconds * 8000)
        let hiss = noise(count, seed: seed &+ 10)
        var pcm = [Int16](repeating: 0, count: count)
        var phase = 0.0
        for index in 0..<count {
            let time = Double(index) / 8000
            let pitch = 130 + 25 * sin(2 * Double.pi * 1.3 * time + Double(seed % 64))
            phase += 2 * Double.pi * pitch / 8000
            var sample = 0.0
            var harmonic = 1.0
            while harmonic * pitch < 3400 {
                let frequency = harmonic * pitch
                let weight = exp(-pow((frequency - 650) / 250, 2)) + 0.6 * exp(-pow((frequency - 1700) / 350, 2)) + 0.1
                sample += weight * sin(harmonic * phase)
                harmonic += 1
            }
            let envelope = 0.4 + 0.6 * pow(sin(Double.pi * 3.5 * time), 2)
            pcm[index] = Int16(max(-32768, min(32767, (1400 * sample * envelope + Double(hiss[index])).rounded())))
        }
        return frames(pcm)
    }

    private static func noise(_ count: Int, seed: UInt64) -> [Int16] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int16(truncatingIfNeeded: Int(state >> 33) % 61 - 30)
        }
    }

    private static func frames(_ pcm: [Int16]) -> [[UInt8]] {
        let codes = MuLaw.encode(pcm)
        guard codes.count >= 160 else { return [] }
        return stride(from: 0, to: codes.count - 159, by: 160).map { Array(codes[$0..<($0 + 160)]) }
    }
}
