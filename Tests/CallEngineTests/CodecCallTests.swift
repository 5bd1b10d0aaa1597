import CallAudio
import CallTesting
import Foundation
import SpeechServices
import Testing

@testable import CallEngine

/// The engine speaks PCM16 only: carriers with other codecs and rates need a different
/// adapter, not a different engine. The same two-turn call runs over three wires.
@Suite("Calls over other codecs", .timeLimit(.minutes(2)))
struct CodecCallTests {
    @Test("the same call over mu-law 8 kHz, A-law 8 kHz and linear PCM 16 kHz", arguments: [CarrierCodec.muLaw8k, .aLaw8k, .pcm16k])
    func sameCall(codec: CarrierCodec) async throws {
        var configuration = CallHarness.configuration(greeting: "Hello, this is Acme.")
        configuration.sampleRate = codec.sampleRate
        let harness = CallHarness(configuration: configuration, codec: codec)
        harness.stt.enqueue(ScriptedSpeechToText.transcript("I would like to book an appointment."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("Sure. What day works for you?"))

        #expect(await harness.waitUntilListening())
        await harness.play(CallerAudio.speech(seconds: 1.2, codec: codec))
        #expect(await harness.waitInSilence { await $0.conversation.currentPhase == .speaking })
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()

        #expect(result.errors.isEmpty)
        #expect(result.transcript.compactMap { if case .caller(let turn) = $0 { turn.text } else { nil } } == ["I would like to book an appointment."])
        let agent = result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
        #expect(agent.map(\.playedText) == ["Hello, this is Acme.", "Sure. What day works for you?"])
        // The utterance reached STT at the engine's rate, about as long as the caller spoke.
        let request = try #require(harness.stt.requests.first)
        #expect(request.sampleRate == codec.sampleRate)
        let seconds = Double(request.samples.count) / Double(request.sampleRate)
        #expect(seconds > 1.0 && seconds < 2.0, "utterance of \(seconds) s")
        // The carrier received the agent's 440 Hz tone through its own codec, at its own rate.
        let wire = harness.carrier.wireAudio
        #expect(harness.carrier.wireBytes == wire.count * (codec == .pcm16k ? 2 : 1))
        #expect(PCM16.peakDBFS(wire) > -20)
        #expect(dominantFrequency(wire, sampleRate: codec.sampleRate) == 440)
    }

    /// The strongest of a few candidate tones (Goertzel power), in Hz.
    func dominantFrequency(_ samples: [Int16], sampleRate: Int) -> Int {
        let window = samples.prefix(sampleRate / 2).map(Double.init)
        func power(_ frequency: Double) -> Double {
            let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
            var (s1, s2) = (0.0, 0.0)
            for x in window { (s1, s2) = (x + coefficient * s1 - s2, s1) }
            return s1 * s1 + s2 * s2 - coefficient * s1 * s2
        }
        return [220, 440, 880, 1000, 2000].max { power(Double($0)) < power(Double($1)) } ?? 0
    }
}
