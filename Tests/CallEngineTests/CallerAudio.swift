import CallAudio
import CallEngine
import Foundation

/// Synthetic caller audio as 20 ms mu-law frames: silence with a little noise, and a
/// speech-like signal (harmonics of a gliding pitch, formant weights, syllable envelope).
enum CallerAudio {
    static func silence(seconds: Double) -> [AudioFrame] {
        frames(noise(Int(seconds * 8000), seed: 3))
    }

    static func speech(seconds: Double, seed: UInt64 = 1) -> [AudioFrame] {
        let n = Int(seconds * 8000)
        var samples = [Double](repeating: 0, count: n)
        var phase = 0.0
        for i in 0..<n {
            let t = Double(i) / 8000
            let f0 = 130 + 25 * sin(2 * Double.pi * 1.3 * t + Double(seed))
            phase += 2 * Double.pi * f0 / 8000
            var s = 0.0
            var k = 1.0
            while k * f0 < 3400 {
                let f = k * f0
                s += (exp(-pow((f - 650) / 250, 2)) + 0.6 * exp(-pow((f - 1700) / 350, 2)) + 0.1) * sin(k * phase)
                k += 1
            }
            samples[i] = 1400 * s * (0.4 + 0.6 * pow(sin(Double.pi * 3.5 * t), 2))
        }
        let noisy = zip(samples, noise(n, seed: seed + 10)).map { $0 + Double($1) }
        return frames(noisy.map { Int16(max(-32768, min(32767, $0.rounded()))) })
    }

    private static func noise(_ count: Int, seed: UInt64) -> [Int16] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int16(truncatingIfNeeded: Int(state >> 33) % 61 - 30)
        }
    }

    private static func frames(_ pcm: [Double]) -> [AudioFrame] {
        frames(pcm.map { Int16($0) })
    }

    private static func frames(_ pcm: [Int16]) -> [AudioFrame] {
        let codes = MuLaw.encode(pcm)
        return stride(from: 0, to: codes.count - 159, by: 160).compactMap { try? AudioFrame(Array(codes[$0..<($0 + 160)])) }
    }
}
