import Benchmark
import CallAudio
import Foundation
import VoiceActivity

/// Speech-like test audio: harmonic source with a syllable envelope, talk spurts, light noise
/// (the same shape as shared/vad-dev/common.py `speechlike`, generated here).
private func speechLikePCM(seconds: Double, rate: Int) -> [Int16] {
    let n = Int(seconds * Double(rate))
    var state: UInt64 = 1234
    var out = [Int16](repeating: 0, count: n)
    var phase = 0.0
    for i in 0..<n {
        let t = Double(i) / Double(rate)
        let f0 = 150 + 50 * sin(2 * Double.pi * 0.3 * t)
        phase += 2 * Double.pi * f0 / Double(rate)
        var s = 0.0
        var k = 1.0
        while k * f0 < 0.45 * Double(rate) && k < 40 {
            s += sin(k * phase) / k
            k += 1
        }
        let envelope = pow(0.5 + 0.5 * sin(2 * Double.pi * 4 * t), 2)
        let gate: Double = t.truncatingRemainder(dividingBy: 2.2) < 1.5 ? 1 : 0
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let noise = (Double(state >> 11) / Double(1 << 53) - 0.5) * 60
        out[i] = Int16(max(-32768, min(32767, s * envelope * gate * 3000 + noise)))
    }
    return out
}

/// 11 s of speech-like PCM (550 frames of 20 ms), made once.
private let speechAudio = speechLikePCM(seconds: 11, rate: 8000)
/// The same audio as mu-law codes.
private let speechCodes = MuLaw.encode(speechAudio)
/// 5 s of low-level noise (no utterance ever ends, so no utterance allocation).
private let noiseAudio: [Int16] = {
    var state: UInt64 = 99
    return (0..<(8000 * 5)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int16(truncatingIfNeeded: Int((state >> 33) % 400) - 200)
    }
}()

let benchmarks: @Sendable () -> Void = {
    // Each sample runs 1000 frames (scalingFactor .kilo); the tables report per-frame values.
    // (cpuTotal is left out: its 10 ms resolution reads 0 for a 3-8 ms sample.)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        scalingFactor: .kilo,
        maxDuration: .seconds(3))

    // One benchmark iteration = one 20 ms frame at 8 kHz through the frame classifier.
    Benchmark("FrameClassifier 20 ms @ 8 kHz") { benchmark in
        let audio = speechAudio
        let classifier = FrameClassifier()
        let frames = audio.count / 160
        var frame = 0
        var speech = 0
        benchmark.startMeasurement()
        audio.withUnsafeBufferPointer { all in
            for _ in benchmark.scaledIterations {
                let start = (frame % frames) * 160
                if let a = try? classifier.classify(UnsafeBufferPointer(rebasing: all[start..<start + 160])), a.isSpeech {
                    speech += 1
                }
                frame += 1
            }
        }
        benchmark.stopMeasurement()
        blackHole(speech)
    }

    // Full detector (classifier + segmenter + filter + clock) on mu-law frames, as a call
    // receives them. Utterance emission allocates its samples once per utterance.
    Benchmark("VoiceActivityDetector mu-law 20 ms @ 8 kHz") { benchmark in
        let codes = speechCodes
        let detector = VoiceActivityDetector()
        let frames = codes.count / 160
        var frame = 0
        var events = 0
        benchmark.startMeasurement()
        codes.withUnsafeBufferPointer { all in
            for _ in benchmark.scaledIterations {
                let start = (frame % frames) * 160
                if (try? detector.processMuLaw(UnsafeBufferPointer(rebasing: all[start..<start + 160]))) != nil {
                    events += 1
                }
                frame += 1
            }
        }
        benchmark.stopMeasurement()
        blackHole(events)
    }

    // Steady state without utterance ends: noise only, so the count of mallocs is the
    // per-frame count (target 0).
    Benchmark("VoiceActivityDetector noise-only 20 ms @ 8 kHz") { benchmark in
        let noise = noiseAudio
        let detector = VoiceActivityDetector()
        let frames = noise.count / 160
        var frame = 0
        var events = 0
        benchmark.startMeasurement()
        noise.withUnsafeBufferPointer { all in
            for _ in benchmark.scaledIterations {
                let start = (frame % frames) * 160
                if (try? detector.process(UnsafeBufferPointer(rebasing: all[start..<start + 160]))) != nil {
                    events += 1
                }
                frame += 1
            }
        }
        benchmark.stopMeasurement()
        blackHole(events)
    }
}
