import CallAudio
import Foundation

/// Synthetic caller audio as 20 ms mu-law frames: a speech-like signal (harmonics of a
/// gliding pitch with formant weights and a syllable envelope, plus a little noise) that the
/// VAD takes for speech. No espeak-ng needed.
enum SyntheticSpeech {
    static func frames(seconds: Double, seed: UInt64) -> [[UInt8]] {
        let count = Int(seconds * 8000)
        var pcm = [Int16](repeating: 0, count: count)
        var phase = 0.0
        var noise = seed &+ 17
        for i in 0..<count {
            let t = Double(i) / 8000
            let f0 = 125 + 30 * sin(2 * Double.pi * 1.1 * t + Double(seed % 7))
            phase += 2 * Double.pi * f0 / 8000
            var s = 0.0
            var k = 1.0
            while k * f0 < 3400 {
                let f = k * f0
                s += (exp(-pow((f - 650) / 250, 2)) + 0.6 * exp(-pow((f - 1700) / 350, 2)) + 0.1) * sin(k * phase)
                k += 1
            }
            noise = noise &* 6364136223846793005 &+ 1442695040888963407
            let hiss = Double(Int(noise >> 33) % 61 - 30)
            let value = 1400 * s * (0.4 + 0.6 * pow(sin(Double.pi * 3.5 * t), 2)) + hiss
            pcm[i] = Int16(max(-32768, min(32767, value.rounded())))
        }
        let codes = MuLaw.encode(pcm)
        return stride(from: 0, to: codes.count - 159, by: 160).map { Array(codes[$0..<($0 + 160)]) }
    }
}
