import CallAudio
import Foundation

/// Synthetic caller audio as 160-byte mu-law frames: faint noise for silence and a
/// speech-like voiced signal (harmonics of a gliding pitch with two formants and a syllable
/// envelope) that the VAD accepts as speech.
enum CallerAudio {
    static func silence(seconds: Double) -> [[UInt8]] {
        frames(noise(Int(seconds * 8000), seed: 3))
    }

    static func speech(seconds: Double, seed: UInt64 = 1) -> [[UInt8]] {
        let count = Int(seconds * 8000)
        let noise = noise(count, seed: seed + 10)
        var pcm = [Int16](repeating: 0, count: count)
        var phase = 0.0
        for i in 0..<count {
            let t = Double(i) / 8000
            let pitch = 130 + 25 * sin(2 * Double.pi * 1.3 * t + Double(seed))
            phase += 2 * Double.pi * pitch / 8000
            var sample = 0.0
            var harmonic = 1.0
            while harmonic * pitch < 3400 {
                let f = harmonic * pitch
                sample += (exp(-pow((f - 650) / 250, 2)) + 0.6 * exp(-pow((f - 1700) / 350, 2)) + 0.1) * sin(harmonic * phase)
                harmonic += 1
            }
            let envelope = 0.4 + 0.6 * pow(sin(Double.pi * 3.5 * t), 2)
            pcm[i] = Int16(max(-32768, min(32767, (1400 * sample * envelope + Double(noise[i])).rounded())))
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
        return stride(from: 0, to: codes.count - 159, by: 160).map { Array(codes[$0..<($0 + 160)]) }
    }
}
