import CallAudio
import Testing
import VoiceActivity

func run(_ detector: VoiceActivityDetector, _ samples: [Int16]) throws -> [VoiceActivityEvent] {
    var events: [VoiceActivityEvent] = []
    let n = detector.samplesPerFrame
    try samples.withUnsafeBufferPointer { all in
        var start = 0
        while start + n <= all.count {
            if let e = try detector.process(UnsafeBufferPointer(rebasing: all[start..<start + n])) { events.append(e) }
            start += n
        }
    }
    if let e = detector.finish() { events.append(e) }
    return events
}

@Suite("VoiceActivityDetector")
struct VoiceActivityDetectorTests {
    @Test("a one-word answer survives; a click does not reach STT")
    func oneWordAndClick() throws {
        var x = SignalFixtures.whiteNoise(seconds: 6, dBFS: -50)
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 0.3, dBFS: -26), at: 2 * 8000)
        var click = [Double](repeating: 0, count: 40)
        for i in 0..<40 { click[i] = (i % 2 == 0 ? 1 : -1) * 12000 * Double(40 - i) / 40 }
        x = SignalFixtures.mix(x, click, at: 4 * 8000)
        let detector = VoiceActivityDetector()
        let events = try run(detector, SignalFixtures.pcm(x))
        let accepted = events.compactMap { e -> Utterance? in if case .utterance(let u) = e { return u }; return nil }
        #expect(accepted.count == 1)
        if let u = accepted.first {
            #expect(u.speechStart >= .milliseconds(1900) && u.speechStart <= .milliseconds(2100))
            #expect(u.audioStart <= u.speechStart - .milliseconds(180))   // pre-roll
        }
        #expect(!events.contains { if case .utterance(let u) = $0 { return u.speechStart > .seconds(3) }; return false })
        // the clock counts from the end of the word
        #expect(detector.silence >= .milliseconds(3500))
    }

    @Test("mu-law frames give the same events as the decoded PCM")
    func muLaw() throws {
        let x = SignalFixtures.pcm(SignalFixtures.mix(
            SignalFixtures.whiteNoise(seconds: 5, dBFS: -48), SignalFixtures.speechLike(seconds: 1, dBFS: -26), at: 2 * 8000))
        let codes = MuLaw.encode(x)
        let pcmEvents = try run(VoiceActivityDetector(), MuLaw.decode(codes))
        let detector = VoiceActivityDetector()
        var muEvents: [VoiceActivityEvent] = []
        try codes.withUnsafeBufferPointer { all in
            var start = 0
            while start + 160 <= all.count {
                if let e = try detector.processMuLaw(UnsafeBufferPointer(rebasing: all[start..<start + 160])) { muEvents.append(e) }
                start += 160
            }
        }
        if let e = detector.finish() { muEvents.append(e) }
        #expect(pcmEvents == muEvents)
        #expect(pcmEvents.count >= 2)
    }

    @Test("mu-law quantisation gives the same utterances as the original PCM")
    func muLawQuantisation() throws {
        var x = SignalFixtures.whiteNoise(seconds: 8, dBFS: -48)
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 1.2, dBFS: -26), at: 2 * 8000)
        x = SignalFixtures.mix(x, SignalFixtures.speechLike(seconds: 0.4, dBFS: -30), at: 5 * 8000)
        let pcm = SignalFixtures.pcm(x)
        let onsets = { (events: [VoiceActivityEvent]) -> [Duration] in
            events.compactMap { if case .utterance(let u) = $0 { return u.speechStart }; return nil }
        }
        let original = onsets(try run(VoiceActivityDetector(), pcm))
        let quantised = onsets(try run(VoiceActivityDetector(), MuLaw.decode(MuLaw.encode(pcm))))
        #expect(original.count == 2)
        #expect(quantised.count == original.count)
        for (o, q) in zip(original, quantised) {
            #expect(abs((o - q).components.attoseconds / 1_000_000_000_000_000 + (o - q).components.seconds * 1000) <= 40)
        }
    }

    @Test("wrong mu-law frame length is a typed error")
    func wrongMuLawLength() {
        let detector = VoiceActivityDetector()
        let codes = [UInt8](repeating: 0xFF, count: 100)
        #expect(throws: AudioError.invalidFrameLength(100)) {
            _ = try codes.withUnsafeBufferPointer { b throws(AudioError) in try detector.processMuLaw(b) }
        }
    }
}
