import CallAudio
import Testing
import VoiceActivity

/// Drives a segmenter with frames whose samples all equal the frame index, so the
/// emitted audio shows exactly which frames an utterance holds.
struct SegmenterDriver {
    let segmenter: UtteranceSegmenter
    var index = 0

    init(_ configuration: UtteranceSegmenterConfiguration) {
        segmenter = UtteranceSegmenter(configuration: configuration, sampleRate: .hz8000, frameDuration: .ms20)
    }

    mutating func feed(_ speech: Bool, periodicity: Float = 0.9, snr: Float = 20) throws -> SegmenterEvent? {
        var analysis = FrameAnalysis.silent
        analysis.isSpeech = speech
        analysis.periodicity = periodicity
        analysis.snrDB = snr
        analysis.levelDBFS = -20
        let frame = [Int16](repeating: Int16(index), count: 160)
        index += 1
        return try frame.withUnsafeBufferPointer { buffer throws(AudioError) in
            try segmenter.process(buffer, analysis: analysis)
        }
    }
}

@Suite("UtteranceSegmenter")
struct UtteranceSegmenterTests {
    // 20 ms frames: start 3 frames, stop 5 frames, pre-roll 2 frames, post-roll 1 frame, max 20 frames
    let config = UtteranceSegmenterConfiguration(
        startHangover: .milliseconds(60), stopHangover: .milliseconds(100),
        preRoll: .milliseconds(40), postRoll: .milliseconds(20), maximumUtterance: .milliseconds(400))

    @Test("durations become whole frames")
    func frameCounts() {
        let s = UtteranceSegmenter(configuration: config)
        #expect(s.startFrames == 3)
        #expect(s.stopFrames == 5)
        #expect(s.preRollFrames == 2)
        #expect(s.postRollFrames == 1)
        #expect(s.maximumFrames == 20)
        let rounded = UtteranceSegmenter(configuration: .init(startHangover: .milliseconds(50), stopHangover: .milliseconds(510)))
        #expect(rounded.startFrames == 3)
        #expect(rounded.stopFrames == 26)
    }

    @Test("silence -> pending -> speaking -> silence, transition by transition")
    func fullCycle() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<5 {
            #expect(try d.feed(false) == nil)
            #expect(d.segmenter.state == .silence)
        }
        #expect(try d.feed(true) == nil)                     // frame 5
        #expect(d.segmenter.state == .pendingStart(speechFrames: 1))
        #expect(try d.feed(true) == nil)                     // frame 6
        #expect(d.segmenter.state == .pendingStart(speechFrames: 2))
        let started = try d.feed(true)                       // frame 7
        #expect(started == .speechStarted(onset: .milliseconds(100), detectedAt: .milliseconds(160)))
        #expect(d.segmenter.state == .speaking(silentFrames: 0))
        for _ in 8...12 { #expect(try d.feed(true) == nil) }
        for k in 1...4 {
            #expect(try d.feed(false) == nil)                // frames 13...16
            #expect(d.segmenter.state == .speaking(silentFrames: k))
        }
        let ended = try d.feed(false)                        // frame 17: 5th silent frame
        #expect(d.segmenter.state == .silence)
        guard case .speechEnded(let u)? = ended else {
            Issue.record("expected speechEnded, got \(String(describing: ended))")
            return
        }
        #expect(u.endReason == .silence)
        #expect(u.audioStart == .milliseconds(60))           // frame 3 = onset 5 - pre-roll 2
        #expect(u.speechStart == .milliseconds(100))
        #expect(u.speechEnd == .milliseconds(260))           // end of frame 12
        #expect(u.samples.count == 11 * 160)                 // frames 3...13 (post-roll 1)
        #expect(u.samples.first == 3)
        #expect(u.samples.last == 13)
        #expect(u.statistics.speechFrames == 8)
        #expect(u.statistics.speechDuration == .milliseconds(160))
        #expect(u.statistics.voicedFrames == 8)
    }

    @Test("a speech run shorter than the start hangover goes back to silence")
    func pendingAborts() throws {
        var d = SegmenterDriver(config)
        #expect(try d.feed(true) == nil)
        #expect(try d.feed(true) == nil)
        #expect(d.segmenter.state == .pendingStart(speechFrames: 2))
        #expect(try d.feed(false) == nil)
        #expect(d.segmenter.state == .silence)
        #expect(try d.feed(true) == nil)
        #expect(d.segmenter.state == .pendingStart(speechFrames: 1))
    }

    @Test("a confirmed speech run inside the stop hangover resets it")
    func hangoverReset() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<3 { _ = try d.feed(true) }              // frames 0...2, started at 2
        for _ in 0..<2 { #expect(try d.feed(false) == nil) } // frames 3, 4
        #expect(d.segmenter.state == .speaking(silentFrames: 2))
        #expect(try d.feed(true) == nil)                     // frame 5: unconfirmed run counts as silence
        #expect(d.segmenter.state == .speaking(silentFrames: 3))
        #expect(try d.feed(true) == nil)                     // frame 6
        #expect(d.segmenter.state == .speaking(silentFrames: 4))
        #expect(try d.feed(true) == nil)                     // frame 7: run of 3 voiced frames confirmed
        #expect(d.segmenter.state == .speaking(silentFrames: 0))
        for _ in 0..<4 { #expect(try d.feed(false) == nil) }
        guard case .speechEnded(let u)? = try d.feed(false) else {
            Issue.record("expected speechEnded")
            return
        }
        #expect(u.statistics.speechFrames == 6)
        #expect(u.speechEnd == .milliseconds(160))           // frame 7 was the last speech frame
        #expect(u.speechStart == .zero)
        #expect(u.statistics.speechDuration == .milliseconds(160))
        #expect(u.audioStart == .zero)                       // onset at frame 0: no earlier audio
    }

    @Test("an unvoiced burst inside the stop hangover does not extend the utterance")
    func burstDoesNotExtend() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<3 { _ = try d.feed(true) }              // frames 0...2
        #expect(try d.feed(false) == nil)                    // frame 3
        for k in 2...4 {                                     // frames 4...6: click / cough
            #expect(try d.feed(true, periodicity: 0.1) == nil)
            #expect(d.segmenter.state == .speaking(silentFrames: k))
        }
        guard case .speechEnded(let u)? = try d.feed(false) else {   // frame 7: 5th non-confirmed frame
            Issue.record("expected speechEnded")
            return
        }
        #expect(u.speechEnd == .milliseconds(60))
        #expect(u.statistics.speechFrames == 3)
        #expect(u.samples.count == 4 * 160)                  // frames 0...3 (post-roll 1)
        #expect(d.segmenter.state == .silence)
    }

    @Test("an onset needs a voiced frame; unvoiced speech keeps the start pending")
    func voicedOnset() throws {
        var d = SegmenterDriver(config)
        for k in 1...5 {
            #expect(try d.feed(true, periodicity: 0.1) == nil)
            #expect(d.segmenter.state == .pendingStart(speechFrames: k))
        }
        let started = try d.feed(true)                       // frame 5 is voiced
        #expect(started == .speechStarted(onset: .zero, detectedAt: .milliseconds(120)))
    }

    @Test("a run still unconfirmed when the hangover ends becomes the next pending start")
    func runCarriesOver() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<3 { _ = try d.feed(true) }              // frames 0...2
        for _ in 0..<3 { _ = try d.feed(false) }             // frames 3...5 -> speaking(3)
        #expect(try d.feed(true) == nil)                     // frame 6 -> speaking(4)
        guard case .speechEnded(let u)? = try d.feed(true) else {    // frame 7: hangover over
            Issue.record("expected speechEnded")
            return
        }
        #expect(u.speechEnd == .milliseconds(60))
        #expect(d.segmenter.state == .pendingStart(speechFrames: 2))
        let started = try d.feed(true)                       // frame 8 completes the onset run
        #expect(started == .speechStarted(onset: .milliseconds(120), detectedAt: .milliseconds(180)))
        guard case .speechEnded(let next)? = d.segmenter.flush() else {
            Issue.record("expected the second utterance")
            return
        }
        #expect(next.speechStart == .milliseconds(120))
        #expect(next.audioStart == .milliseconds(80))        // 2 frames of pre-roll from the first utterance's tail
        #expect(next.samples.first == 4)
        #expect(next.statistics.speechFrames == 3)
    }

    @Test("an utterance is cut at the maximum length and the next starts at once")
    func maximumLength() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<3 { _ = try d.feed(false) }
        var events: [(Int, SegmenterEvent)] = []
        for _ in 0..<45 {
            let i = d.index
            if let e = try d.feed(true) { events.append((i, e)) }
        }
        #expect(events.count == 3)
        #expect(events[0].0 == 5)                            // started at frame 5 (onset 3)
        guard case .speechEnded(let first) = events[1].1, case .speechEnded(let second) = events[2].1 else {
            Issue.record("expected two cuts")
            return
        }
        #expect(events[1].0 == 20)                           // audio frames 1...20 = 20 frames
        #expect(first.endReason == .maximumLength)
        #expect(first.samples.count == 20 * 160)
        #expect(first.samples.first == 1)
        #expect(events[2].0 == 40)                           // next 20 frames: 21...40
        #expect(second.samples.first == 21)
        #expect(second.samples.count == 20 * 160)
        #expect(d.segmenter.state == .speaking(silentFrames: 0))
    }

    @Test("flush returns the open utterance")
    func flush() throws {
        var d = SegmenterDriver(config)
        for _ in 0..<4 { _ = try d.feed(true) }
        guard case .speechEnded(let u)? = d.segmenter.flush() else {
            Issue.record("expected speechEnded")
            return
        }
        #expect(u.endReason == .endOfStream)
        #expect(u.statistics.speechFrames == 4)
        #expect(d.segmenter.state == .silence)
        #expect(d.segmenter.flush() == nil)
    }

    @Test("a frame of the wrong length is a typed error")
    func wrongLength() {
        let s = UtteranceSegmenter(configuration: config)
        let frame = [Int16](repeating: 0, count: 80)
        #expect(throws: AudioError.invalidFrameLength(80)) {
            _ = try frame.withUnsafeBufferPointer { b throws(AudioError) in try s.process(b, analysis: .silent) }
        }
    }
}
