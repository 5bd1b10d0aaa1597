import CallAudio
import Foundation
import Testing
import VoiceActivity

/// Runs a classifier over a whole signal in 20 ms (or 10 ms) frames and returns the decisions.
func classify(_ samples: [Int16], configuration: FrameClassifierConfiguration = .init()) throws -> [FrameAnalysis] {
    let classifier = FrameClassifier(configuration: configuration)
    let n = classifier.samplesPerFrame
    var out: [FrameAnalysis] = []
    try samples.withUnsafeBufferPointer { all in
        var start = 0
        while start + n <= all.count {
            out.append(try classifier.classify(UnsafeBufferPointer(rebasing: all[start..<start + n])))
            start += n
        }
    }
    return out
}

func speechShare(_ a: ArraySlice<FrameAnalysis>) -> Double {
    Double(a.filter(\.isSpeech).count) / Double(max(a.count, 1))
}

@Suite("FrameClassifier")
struct FrameClassifierTests {
    @Test("all-zero input is never speech")
    func allZero() throws {
        let result = try classify([Int16](repeating: 0, count: 8000 * 3))
        #expect(result.allSatisfy { !$0.isSpeech })
        #expect(result.allSatisfy { $0.levelDBFS < -100 })
    }

    @Test("speech after a long stretch of digital silence is still detected (no numeric underflow)")
    func longSilenceThenSpeech() throws {
        var x = [Double](repeating: 0, count: 8000 * 40)
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 1, dBFS: -26), at: 38 * 8000)
        let result = try classify(SignalFixtures.pcm(x))
        #expect(result[..<1900].allSatisfy { !$0.isSpeech })
        #expect(speechShare(result[1900..<1950]) >= 0.8)
        #expect(result.allSatisfy { $0.score.isFinite && $0.periodicity.isFinite && $0.snrDB.isFinite })
    }

    @Test("stationary white noise at -40 dBFS is not speech once the floor has adapted")
    func whiteNoise() throws {
        let x = SignalFixtures.pcm(SignalFixtures.whiteNoise(seconds: 5, dBFS: -40))
        let result = try classify(x)
        #expect(speechShare(result[50...]) <= 0.05)
        // the noise floor estimate lands near the in-band share of the noise power (3100 of 4000 Hz: about -41 dBFS)
        let floor = result.last!.noiseFloorDBFS
        #expect(floor > -46 && floor < -37)
    }

    @Test("a steady 1 kHz tone (like a line tone) stops counting as speech within 2 s")
    func steadyTone() throws {
        let x = SignalFixtures.pcm(SignalFixtures.mix(
            SignalFixtures.tone(hertz: 1000, seconds: 5, dBFS: -30),
            SignalFixtures.whiteNoise(seconds: 5, dBFS: -60)))
        let result = try classify(x)
        #expect(speechShare(result[100...]) <= 0.05)
    }

    @Test("mains hum with harmonics is not speech")
    func hum() throws {
        var x = SignalFixtures.whiteNoise(seconds: 5, dBFS: -65)
        for (f, a) in [(50.0, -30.0), (150.0, -36.0), (350.0, -48.0)] {
            x = SignalFixtures.mix(x, SignalFixtures.tone(hertz: f, seconds: 5, dBFS: a))
        }
        let result = try classify(SignalFixtures.pcm(x))
        #expect(speechShare(result[100...]) <= 0.05)
    }

    @Test("speech-like harmonic bursts in noise are detected and the gaps are not")
    func speechLikeBursts() throws {
        let noise = SignalFixtures.whiteNoise(seconds: 6, dBFS: -50)
        var x = noise
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 1.0, dBFS: -26), at: 2 * 8000)
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 0.3, dBFS: -30), at: 4 * 8000)
        let result = try classify(SignalFixtures.pcm(x))
        #expect(speechShare(result[100..<150]) >= 0.8)   // 2.0-3.0 s
        #expect(speechShare(result[200..<215]) >= 0.6)   // 4.0-4.3 s
        #expect(speechShare(result[160..<195]) <= 0.1)   // gap
        #expect(speechShare(result[230..<300]) <= 0.1)   // after
        #expect(result[100..<150].map(\.periodicity).max()! > 0.6)
    }

    @Test("a 20 dB noise step adapts within 2 s and is not speech for long")
    func noiseStep() throws {
        let quiet = SignalFixtures.whiteNoise(seconds: 3, dBFS: -55, seed: 3)
        let loud = SignalFixtures.whiteNoise(seconds: 4, dBFS: -35, seed: 4)
        let result = try classify(SignalFixtures.pcm(quiet + loud))
        let afterStep = result[150...]
        let flagged = afterStep.filter(\.isSpeech).count
        #expect(flagged <= 100)                           // at most 2 s flagged
        #expect(speechShare(result[250...]) <= 0.05)      // settled 2 s after the step
        #expect(result.last!.noiseFloorDBFS > -40)
    }

    @Test("a DC offset does not change the decisions")
    func dcOffset() throws {
        let noise = SignalFixtures.whiteNoise(seconds: 4, dBFS: -45)
        let speech = SignalFixtures.mix(noise, SignalFixtures.speechLike(seconds: 1, dBFS: -26), at: 2 * 8000)
        let plain = try classify(SignalFixtures.pcm(speech))
        let shifted = try classify(SignalFixtures.pcm(speech.map { $0 + 4000 }))
        let agree = zip(plain, shifted).filter { $0.isSpeech == $1.isSpeech }.count
        #expect(Double(agree) / Double(plain.count) >= 0.97)
        #expect(speechShare(shifted[100..<150]) >= 0.8)
    }

    @Test("hard-clipped speech is still detected; clipping is reported")
    func clipping() throws {
        let noise = SignalFixtures.whiteNoise(seconds: 4, dBFS: -45)
        let speech = SignalFixtures.mix(noise, SignalFixtures.speechLike(seconds: 1, dBFS: -26), at: 2 * 8000)
        let clipped = try classify(SignalFixtures.pcm(speech.map { $0 * 20 }))
        #expect(speechShare(clipped[100..<150]) >= 0.8)
        #expect(clipped[100..<150].map(\.clippedShare).max()! > 0.1)
    }

    @Test("mu-law round trip keeps the decisions where they matter")
    func muLawRoundTrip() throws {
        let noise = SignalFixtures.whiteNoise(seconds: 6, dBFS: -45)
        let speech = SignalFixtures.pcm(SignalFixtures.mix(noise, SignalFixtures.speechLike(seconds: 1.5, dBFS: -26), at: 2 * 8000))
        let viaMuLaw = MuLaw.decode(MuLaw.encode(speech))
        let a = try classify(speech)
        let b = try classify(viaMuLaw)
        let agree = zip(a, b).filter { $0.isSpeech == $1.isSpeech }.count
        #expect(Double(agree) / Double(a.count) >= 0.9)
        #expect(speechShare(b[100..<175]) >= 0.8)            // the speech
        #expect(speechShare(b[200...]) <= 0.1)               // the noise after it
        #expect(abs(speechShare(a[100..<175]) - speechShare(b[100..<175])) <= 0.1)
    }

    @Test("works for 10 ms frames and 16 kHz", arguments: [
        (VADSampleRate.hz8000, VADFrameDuration.ms10), (.hz16000, .ms20), (.hz16000, .ms10),
    ])
    func otherFormats(rate: VADSampleRate, duration: VADFrameDuration) throws {
        let r = rate.hertz
        let noise = SignalFixtures.whiteNoise(seconds: 5, dBFS: -50, rate: r)
        let x = SignalFixtures.pcm(SignalFixtures.mix(noise, SignalFixtures.speechLike(seconds: 1, dBFS: -26, rate: r), at: 2 * r))
        let config = FrameClassifierConfiguration(sampleRate: rate, frameDuration: duration)
        let result = try classify(x, configuration: config)
        let perSecond = 1000 / duration.milliseconds
        #expect(speechShare(result[(2 * perSecond)..<(3 * perSecond)]) >= 0.7)
        #expect(speechShare(result[(4 * perSecond)...]) <= 0.1)
    }

    @Test("lower sensitivity flags no more frames than higher sensitivity")
    func sensitivityOrder() throws {
        let noise = SignalFixtures.whiteNoise(seconds: 5, dBFS: -36)
        let x = SignalFixtures.pcm(SignalFixtures.mix(noise, SignalFixtures.speechLike(seconds: 2, dBFS: -34), at: 2 * 8000))
        let strict = try classify(x, configuration: .init(sensitivity: 0.1)).filter(\.isSpeech).count
        let eager = try classify(x, configuration: .init(sensitivity: 0.9)).filter(\.isSpeech).count
        #expect(strict < eager)
    }

    @Test("odd analysis bands are clamped below Nyquist", arguments: [(5000.0, 6000.0), (3000.0, 200.0), (0.0, 99999.0)])
    func oddBands(low: Double, high: Double) throws {
        let config = FrameClassifierConfiguration(bandLowHertz: low, bandHighHertz: high)
        let x = SignalFixtures.pcm(SignalFixtures.whiteNoise(seconds: 1, dBFS: -40))
        let result = try classify(x, configuration: config)
        #expect(result.count == 50)
        #expect(result.allSatisfy { $0.score.isFinite })
    }

    @Test("a frame of the wrong length is a typed error")
    func wrongLength() {
        let classifier = FrameClassifier()
        #expect(throws: AudioError.invalidFrameLength(159)) {
            _ = try classifier.classify([Int16](repeating: 0, count: 159))
        }
    }
}
