import CallAudio
import CallTesting
import Logging
import SpeechServices
import Testing

@testable import CallEngine

/// One call under test: scripted providers, a simulated carrier, the engine running.
final class CallHarness: Sendable {
    let stt: ScriptedSpeechToText
    let llm: ScriptedLanguageModel
    let tts: ScriptedTextToSpeech
    let carrier: SimulatedCarrier
    let statistics = CallStatistics()
    let conversation: CallConversation
    let run: Task<CallResult, Never>

    init(
        configuration: CallEngineConfiguration = CallHarness.configuration(),
        stt: ScriptedSpeechToText = ScriptedSpeechToText(),
        llm: ScriptedLanguageModel = ScriptedLanguageModel(),
        tts: ScriptedTextToSpeech = ScriptedTextToSpeech(),
        speechToText: (any SpeechToText)? = nil,
        cache: TTSCache? = nil,
        codec: CarrierCodec = .muLaw8k,
        checkpoints: (@Sendable (CallResult) async -> Void)? = nil
    ) {
        carrier = SimulatedCarrier(codec: codec)
        self.stt = stt
        self.llm = llm
        self.tts = tts
        conversation = CallConversation(
            identity: CallIdentity(callID: "CA-test", streamID: "MZ-test", botID: "test-bot"),
            configuration: configuration,
            providers: CallProviders(speechToText: speechToText ?? stt, languageModel: llm, textToSpeech: tts, ttsCache: cache),
            transport: carrier,
            statistics: statistics,
            checkpoints: checkpoints
        )
        let conversation = self.conversation
        run = Task { await conversation.run() }
    }

    static func configuration(greeting: String? = nil) -> CallEngineConfiguration {
        var configuration = CallEngineConfiguration(systemPrompt: "You are a test agent.", greeting: greeting)
        configuration.voiceActivity.segmenter.stopHangover = .milliseconds(600)
        // Scripted STT answers in order, so a speculative request would take the next answer;
        // speculation has its own tests.
        configuration.speculation.enabled = false
        // The harness feeds audio as fast as the engine takes it, so the wall clock only matters
        // in slow builds (sanitizers): there the 8 s media gap would end calls mid-test.
        configuration.limits.mediaTimeout = .seconds(120)
        return configuration
    }

    /// Feeds frames one at a time, delivering mark acknowledgements as playback advances,
    /// and yielding so turn tasks make progress. Stops early when `until` holds.
    @discardableResult
    func play(_ frames: [AudioFrame], until condition: (@Sendable (CallHarness) async -> Bool)? = nil) async -> Bool {
        for frame in frames {
            await conversation.handle(.audio(frame))
            for report in carrier.advance() {
                await conversation.handle(report)
            }
            for _ in 0..<3 { await Task.yield() }
            if let condition, await condition(self) { return true }
        }
        return false
    }

    /// Feeds silence until `condition` holds (at most `seconds` of audio).
    @discardableResult
    func waitInSilence(seconds: Double = 20, until condition: @escaping @Sendable (CallHarness) async -> Bool) async -> Bool {
        await play(CallerAudio.silence(seconds: seconds, codec: carrier.codec), until: condition)
    }

    /// Feeds silence until the agent has nothing left to say and listens.
    func waitUntilListening(seconds: Double = 20) async -> Bool {
        await waitInSilence(seconds: seconds) { harness in
            await harness.conversation.currentPhase == .listening && harness.carrier.unplayedSamples == 0
        }
    }

    func hangUp() async -> CallResult {
        await conversation.handle(.hangUp)
        return await run.value
    }
}
