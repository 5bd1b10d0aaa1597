import Foundation

/// Deterministic synthetic signals for the VoiceActivity tests (no files, no randomness
/// that differs between runs).
struct SignalFixtures {
    /// A small deterministic generator (SplitMix64) for noise.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Standard normal sample (Box-Muller).
        mutating func gaussian() -> Double {
            let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-12)
            let u2 = Double(next() >> 11) / Double(1 << 53)
            return sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2)
        }
    }

    static func amplitude(dBFS: Double) -> Double { 32768 * pow(10, dBFS / 20) }

    /// White Gaussian noise with RMS `dBFS`.
    static func whiteNoise(seconds: Double, dBFS: Double, rate: Int = 8000, seed: UInt64 = 1) -> [Double] {
        var g = Generator(state: seed)
        let a = amplitude(dBFS: dBFS)
        return (0..<Int(seconds * Double(rate))).map { _ in g.gaussian() * a }
    }

    /// A sine of `hertz` with RMS `dBFS`.
    static func tone(hertz: Double, seconds: Double, dBFS: Double, rate: Int = 8000) -> [Double] {
        let a = amplitude(dBFS: dBFS) * sqrt(2)
        return (0..<Int(seconds * Double(rate))).map { a * sin(2 * Double.pi * hertz * Double($0) / Double(rate)) }
    }

    /// Speech-like signal: harmonics of a gliding f0 (120-160 Hz) shaped by two formant-like
    /// resonance weights and a 4 Hz syllable envelope; active RMS about `dBFS`.
    static func speechLike(seconds: Double, dBFS: Double, rate: Int = 8000) -> [Double] {
        let n = Int(seconds * Double(rate))
        var out = [Double](repeating: 0, count: n)
        var phase = 0.0
        for i in 0..<n {
            let t = Double(i) / Double(rate)
            let f0 = 140 + 20 * sin(2 * Double.pi * 1.5 * t)
            phase += 2 * Double.pi * f0 / Double(rate)
            var s = 0.0
            var k = 1.0
            while k * f0 < 3600 {
                let f = k * f0
                let formant = exp(-pow((f - 700) / 250, 2)) + 0.6 * exp(-pow((f - 1800) / 350, 2)) + 0.1
                s += formant * sin(k * phase)
                k += 1
            }
            let envelope = 0.35 + 0.65 * pow(sin(Double.pi * 4 * t), 2)
            out[i] = s * envelope
        }
        let rms = sqrt(out.reduce(0) { $0 + $1 * $1 } / Double(max(n, 1)))
        let gain = amplitude(dBFS: dBFS) / max(rms, 1e-9)
        return out.map { $0 * gain }
    }

    /// Adds signals sample by sample (lengths may differ; the result has the longer length).
    static func mix(_ a: [Double], _ b: [Double], at offset: Int = 0) -> [Double] {
        var out = a
        if out.count < offset + b.count { out += [Double](repeating: 0, count: offset + b.count - out.count) }
        for i in 0..<b.count { out[offset + i] += b[i] }
        return out
    }

    /// Rounds and hard-clips to PCM16.
    static func pcm(_ x: [Double]) -> [Int16] {
        x.map { Int16(max(-32768, min(32767, $0.rounded()))) }
    }
}
