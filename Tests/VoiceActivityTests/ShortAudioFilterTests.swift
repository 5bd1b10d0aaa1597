import Testing
import VoiceActivity

func utterance(speechFrames: Int, voiced: Int, snr: Float) -> Utterance {
    Utterance(
        samples: [Int16](repeating: 0, count: 160 * (speechFrames + 10)), sampleRate: 8000,
        audioStart: .zero, speechStart: .milliseconds(200), speechEnd: .milliseconds(200 + 20 * speechFrames),
        endReason: .silence,
        statistics: UtteranceStatistics(
            speechFrames: speechFrames, speechDuration: .milliseconds(20 * speechFrames), voicedFrames: voiced,
            meanSNRDB: snr, peakLevelDBFS: -20, noiseFloorDBFS: -50))
}

@Suite("ShortAudioFilter and SilenceClock")
struct ShortAudioFilterTests {
    @Test("drops short, unvoiced and near-floor utterances and counts why")
    func verdicts() {
        var filter = ShortAudioFilter()
        #expect(filter.evaluate(utterance(speechFrames: 6, voiced: 6, snr: 20)) == .tooShort)      // 120 ms
        #expect(filter.evaluate(utterance(speechFrames: 7, voiced: 0, snr: 20)) == .unvoiced)
        #expect(filter.evaluate(utterance(speechFrames: 10, voiced: 8, snr: 1)) == .nearNoiseFloor)  // default minimum 1.5 dB
        #expect(filter.evaluate(utterance(speechFrames: 7, voiced: 4, snr: 10)) == nil)            // "yes": 140 ms
        let c = filter.counters
        #expect(c.accepted == 1)
        #expect(c.droppedTooShort == 1 && c.droppedUnvoiced == 1 && c.droppedNearNoiseFloor == 1)
        #expect(c.sttCallsSaved == 3)
        #expect(c.dropped(.unvoiced) == 1)
        #expect(c.droppedAudio == .milliseconds(20 * (16 + 17 + 20)))
    }

    @Test("minimum speech is configurable")
    func configurable() {
        let filter = ShortAudioFilter(configuration: .init(minimumSpeech: .milliseconds(300)))
        #expect(filter.verdict(for: utterance(speechFrames: 10, voiced: 10, snr: 20)) == .tooShort)
        #expect(filter.verdict(for: utterance(speechFrames: 15, voiced: 10, snr: 20)) == nil)
        let strict = ShortAudioFilter(configuration: .init(minimumMeanSNRDB: 6, minimumVoicedFrames: 3))
        #expect(strict.verdict(for: utterance(speechFrames: 15, voiced: 2, snr: 20)) == .unvoiced)
        #expect(strict.verdict(for: utterance(speechFrames: 15, voiced: 3, snr: 5)) == .nearNoiseFloor)
    }

    @Test("silence clock follows frame time, confirms and rolls back")
    func silenceClock() {
        var clock = SilenceClock()
        for _ in 0..<50 { clock.advance(by: .milliseconds(20), speech: false) }
        #expect(clock.silence == .seconds(1))
        clock.advance(by: .milliseconds(20), speech: true)  // ends at 1.02 s
        for _ in 0..<10 { clock.advance(by: .milliseconds(20), speech: false) }
        #expect(clock.silence == .milliseconds(200))
        clock.confirm()
        #expect(clock.lastConfirmedSpeech == .milliseconds(1020))
        clock.advance(by: .milliseconds(20), speech: true)  // a cough at 1.24 s
        clock.rollBack()
        #expect(clock.silence == .milliseconds(220))
    }
}
