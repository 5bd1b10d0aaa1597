import CallTesting
import NIOConcurrencyHelpers
import SpeechServices
import Testing

@Suite("Fallback chains", .timeLimit(.minutes(2)))
struct FallbackTests {
    let request = ChatRequest(messages: [.user("hi")])

    func servedRecorder() -> (ProviderCallContext, @Sendable () -> [String]) {
        let served = NIOLockedValueBox<[String]>([])
        let context = ProviderCallContext(callSID: "CA-fallback", onServed: { descriptor in served.withLockedValue { $0.append(descriptor.name) } })
        return (context, { served.withLockedValue { $0 } })
    }

    @Test("switches to the secondary while the primary fails, probes it in the background, and switches back")
    func switchesAndSwitchesBack() async throws {
        let clock = ManualClock()
        let primaryBase = ScriptedLanguageModel(name: "primary", defaultReply: "From primary.", clock: clock)
        primaryBase.setDefault(.failure(.server))
        let secondaryBase = ScriptedLanguageModel(name: "secondary", defaultReply: "From secondary.", clock: clock)
        let policy = ResiliencePolicy(retry: .none, timeouts: .none)
        let primary = ResilientLanguageModel(primaryBase, policy: policy, clock: clock)
        let secondary = ResilientLanguageModel(secondaryBase, policy: policy, clock: clock)
        let fallback = FallbackLanguageModel([primary, secondary])
        let (context, served) = servedRecorder()

        for _ in 0..<5 { _ = try await fallback.stream(request, context: context).collect() }
        #expect(served() == Array(repeating: "secondary", count: 5))
        #expect(primaryBase.callCount == 5)
        #expect(primary.circuitBreaker.state == .open)

        _ = try await fallback.stream(request, context: context).collect()
        #expect(primaryBase.callCount == 5, "an open primary is skipped without a request")

        primaryBase.setDefault(ScriptedLanguageModel.reply("From primary."))
        clock.advance(by: .seconds(60))
        _ = try await fallback.stream(request, context: context).collect()
        await fallback.waitForProbes()
        #expect(primaryBase.callCount == 6, "one background probe")
        #expect(primary.circuitBreaker.state == .closed)
        #expect(served().last == "secondary", "the request that triggered the probe was served by the secondary")

        let events = try await fallback.stream(request, context: context).collect()
        #expect(events.first == .textDelta("From "))
        #expect(served().last == "primary")
    }

    @Test("a failed background probe keeps the provider open")
    func failedProbe() async throws {
        let clock = ManualClock()
        let primaryBase = ScriptedLanguageModel(name: "primary", clock: clock)
        primaryBase.setDefault(.failure(.connection))
        let policy = ResiliencePolicy(retry: .none, timeouts: .none, circuitBreaker: CircuitBreakerConfiguration(failureThreshold: 1))
        let primary = ResilientLanguageModel(primaryBase, policy: policy, clock: clock)
        let secondary = ScriptedLanguageModel(name: "secondary", clock: clock)
        let fallback = FallbackLanguageModel([primary, secondary])
        _ = try await fallback.stream(request, context: ProviderCallContext()).collect()
        clock.advance(by: .seconds(60))
        _ = try await fallback.stream(request, context: ProviderCallContext()).collect()
        await fallback.waitForProbes()
        #expect(primary.circuitBreaker.state == .open)
        #expect(primaryBase.callCount == 2)
        #expect(secondary.callCount == 2)
    }

    @Test("no switch after partial output, and none for invalid requests")
    func noSwitch() async {
        let primary = ScriptedLanguageModel(name: "primary")
        primary.enqueue(ScriptedResponse(elements: [.textDelta("Half ")], failure: ProviderError(.connection, provider: "primary", message: "reset")))
        primary.enqueue(.failure(.invalidRequest))
        let secondary = ScriptedLanguageModel(name: "secondary")
        let fallback = FallbackLanguageModel([primary, secondary])
        await #expect(throws: ProviderError.self) { try await fallback.stream(request, context: ProviderCallContext()).collect() }
        await #expect(throws: ProviderError.self) { try await fallback.stream(request, context: ProviderCallContext()).collect() }
        #expect(secondary.callCount == 0)
    }

    @Test("TTS and STT fallbacks report the serving provider")
    func ttsAndSttFallback() async throws {
        let badTTS = ScriptedTextToSpeech(name: "bad-tts")
        badTTS.enqueue(.failure(.server))
        let goodTTS = ScriptedTextToSpeech(name: "good-tts")
        let (context, served) = servedRecorder()
        let chunks = try await FallbackTextToSpeech([badTTS, goodTTS]).synthesize(SpeechSynthesisRequest(text: "Hello"), context: context).collect()
        #expect(!chunks.isEmpty)
        let badSTT = ScriptedSpeechToText(name: "bad-stt")
        badSTT.enqueue(.failure(.timeout(.firstByte)))
        let goodSTT = ScriptedSpeechToText(name: "good-stt", defaultText: "yes please")
        let transcript = try await FallbackSpeechToText([badSTT, goodSTT]).transcribe(
            TranscriptionRequest(samples: [0, 1, 2], sampleRate: 8000), context: context
        )
        #expect(transcript.text == "yes please")
        #expect(served() == ["good-tts", "good-stt"])
    }
}
