import Foundation
import CallAudio
import CallTesting
import SpeechServices
import NIOConcurrencyHelpers
import Testing

@testable import CallEngine

@Suite("Call conversation", .timeLimit(.minutes(2)))
struct ConversationTests {
    @Test("a hang-up that arrives before run() starts ends the call without a greeting or an illegal transition")
    func hangUpBeforeRun() async throws {
        let carrier = SimulatedCarrier()
        let tts = ScriptedTextToSpeech()
        let conversation = CallConversation(
            identity: CallIdentity(callID: "CA-early", streamID: "MZ-early", botID: "test-bot"),
            configuration: CallHarness.configuration(greeting: "Hello, this is Acme."),
            providers: CallProviders(speechToText: ScriptedSpeechToText(), languageModel: ScriptedLanguageModel(), textToSpeech: tts),
            transport: carrier
        )
        // The carrier's `stop` is handled before the call's task runs.
        await conversation.handle(.hangUp)
        let result = await conversation.run()
        #expect(result.endReason == .callerHungUp)
        #expect(result.errors.isEmpty)
        #expect(result.transcript.isEmpty)
        #expect(tts.requests.isEmpty)
        #expect(await conversation.currentPhase == .ended)
    }

    @Test("keys pressed before run() starts start the call and are answered, with no error")
    func keysBeforeRun() async throws {
        let carrier = SimulatedCarrier()
        let llm = ScriptedLanguageModel()
        llm.enqueue(ScriptedLanguageModel.reply("You pressed one."))
        let conversation = CallConversation(
            identity: CallIdentity(callID: "CA-keys", streamID: "MZ-keys", botID: "test-bot"),
            configuration: CallHarness.configuration(),
            providers: CallProviders(speechToText: ScriptedSpeechToText(), languageModel: llm, textToSpeech: ScriptedTextToSpeech()),
            transport: carrier
        )
        await conversation.handle(.dtmf(digit: "1"))
        await conversation.handle(.dtmf(digit: "#"))
        let run = Task { await conversation.run() }
        // The reply's audio is queued at the carrier (its mark sent); then caller silence plays
        // it, as in the harness: one 20 ms frame, then its reports.
        await carrier.waitUntilMarksSent(1)
        for _ in 0..<1500 where carrier.acknowledgedMarks == 0 {
            await conversation.handle(.audio(AudioFrame(silenceAt: 8000)))
            for report in carrier.advance() { await conversation.handle(report) }
            for _ in 0..<3 { await Task.yield() }
        }
        await conversation.handle(.hangUp)
        let result = await run.value
        #expect(result.errors.isEmpty)
        #expect(llm.requests.first?.messages.last?.content == "[keys pressed: 1]")
        #expect(result.transcript.compactMap { if case .agent(let turn) = $0 { turn.playedText } else { nil } } == ["You pressed one."])
    }

    /// Records pre-connects and reports each one.
    final class RecordingWarmup: ProviderWarmup {
        let calls = NIOLockedValueBox<[String?]>([])
        let reported: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() {
            (reported, continuation) = AsyncStream.makeStream(of: Void.self)
        }

        func preconnect(connections: Int?, context: ProviderCallContext) async -> ProviderWarmupResult {
            calls.withLockedValue { $0.append(context.callSID) }
            continuation.yield()
            return ProviderWarmupResult(attempted: 3, connected: 3, duration: .zero)
        }
    }

    @Test("the providers are pre-connected once when the call starts, for that call")
    func preconnect() async throws {
        let warmup = RecordingWarmup()
        let conversation = CallConversation(
            identity: CallIdentity(callID: "CA-warm", streamID: "MZ-warm", botID: "test-bot"),
            configuration: CallHarness.configuration(),
            providers: CallProviders(
                speechToText: ScriptedSpeechToText(), languageModel: ScriptedLanguageModel(), textToSpeech: ScriptedTextToSpeech(), warmup: warmup
            ),
            transport: SimulatedCarrier()
        )
        let run = Task { await conversation.run() }
        for await _ in warmup.reported { break }
        await conversation.handle(.audio(AudioFrame(silenceAt: 8000)))
        await conversation.handle(.hangUp)
        _ = await run.value
        #expect(warmup.calls.withLockedValue { $0 } == ["CA-warm"])
    }

    @Test("checkpoints at turn boundaries carry the conversation so far, marked worker_lost, in order")
    func checkpoints() async throws {
        let written = NIOLockedValueBox<[CallResult]>([])
        let harness = CallHarness(checkpoints: { partial in written.withLockedValue { $0.append(partial) } })
        harness.stt.enqueue(ScriptedSpeechToText.transcript("I would like to book an appointment."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("Sure. What day works for you?"))
        await harness.play(CallerAudio.speech(seconds: 1.2))
        #expect(await harness.waitUntilListening())
        #expect(await harness.waitInSilence(seconds: 2) { _ in written.withLockedValue { $0.contains { $0.transcript.count >= 2 } } })
        let result = await harness.hangUp()
        #expect(result.endReason == .callerHungUp)
        let partials = written.withLockedValue { $0 }
        #expect(partials.allSatisfy { $0.endReason == .workerLost })
        // The newest one holds the caller's turn and the agent's reply once it played.
        let last = try #require(partials.last)
        #expect(last.transcript.count == 2)
        #expect(zip(partials, partials.dropFirst()).allSatisfy { $0.transcript.count <= $1.transcript.count })
    }

    @Test("a multi-turn conversation from caller audio to agent audio")
    func multiTurn() async throws {
        let harness = CallHarness(configuration: CallHarness.configuration(greeting: "Hello, this is Acme."))
        harness.stt.enqueue(ScriptedSpeechToText.transcript("I would like to book an appointment."), ScriptedSpeechToText.transcript("Tuesday at ten, please."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("Sure. What day works for you?"), ScriptedLanguageModel.reply("Done, see you Tuesday at ten."))

        // The greeting plays, then the agent listens.
        #expect(await harness.waitUntilListening())
        await harness.play(CallerAudio.speech(seconds: 1.2))
        #expect(await harness.waitInSilence { await $0.conversation.currentPhase == .speaking })
        #expect(await harness.waitUntilListening())
        await harness.play(CallerAudio.speech(seconds: 1.0, seed: 2))
        #expect(await harness.waitInSilence { await $0.conversation.currentPhase == .speaking })
        #expect(await harness.waitUntilListening())

        let result = await harness.hangUp()
        #expect(result.endReason == .callerHungUp)
        #expect(result.errors.isEmpty)
        let callerTexts = result.transcript.compactMap { if case .caller(let turn) = $0 { turn.text } else { nil } }
        #expect(callerTexts == ["I would like to book an appointment.", "Tuesday at ten, please."])
        let agentTurns = result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
        #expect(agentTurns.map(\.kind) == [.greeting, .reply, .reply])
        #expect(agentTurns.map(\.playedText) == ["Hello, this is Acme.", "Sure. What day works for you?", "Done, see you Tuesday at ten."])
        #expect(agentTurns.allSatisfy { !$0.interrupted })
        // The second model request saw the first exchange.
        let second = try #require(harness.llm.requests.dropFirst().first).messages
        #expect(second.map(\.role) == [.system, .assistant, .user, .assistant, .user])
        #expect(second[3].content == "Sure. What day works for you?")
        // Audio left as PCM16 at the TTS's rate (the carrier adapter encodes it), each reply followed by marks.
        let audio = harness.carrier.commands.compactMap { if case .audio(let pcm) = $0 { pcm } else { nil } }
        #expect(!audio.isEmpty && audio.allSatisfy { $0.sampleRate == 24000 && !$0.samples.isEmpty })
        #expect(harness.carrier.commands.contains { if case .mark = $0 { true } else { false } })
        #expect(result.turns.count == 2)
        #expect(result.turns.allSatisfy { $0.replyLatency != nil && $0.sttDone != nil && $0.llmFirstToken != nil })
        #expect(result.usage.sttRequests == 2)
        #expect(result.usage.llmOutputTokens > 0)
        #expect(result.phases.first?.to == .greeting)
        #expect(result.phases.last?.to == .ended)
        #expect(harness.statistics.document().calls.completed == 1)
    }

    @Test("barge-in: clear is sent, LLM/TTS work stops, history keeps only what was played")
    func bargeIn() async throws {
        let harness = CallHarness()
        harness.stt.enqueue(ScriptedSpeechToText.transcript("Tell me about your plans."), ScriptedSpeechToText.transcript("Actually, stop. How much is it?"))
        harness.llm.enqueue(
            ScriptedLanguageModel.reply("We have three plans. The basic plan is cheap. The premium plan has everything. The family plan covers four people."),
            ScriptedLanguageModel.reply("It is ten dollars.")
        )
        // Each sentence is 1.5 s of audio.
        for _ in 0..<5 { harness.tts.enqueue(ScriptedResponse(elements: ScriptedTextToSpeech.tone(milliseconds: 1500))) }

        await harness.play(CallerAudio.silence(seconds: 0.5))
        await harness.play(CallerAudio.speech(seconds: 1.2))
        // Wait until the first sentence has been confirmed as played.
        #expect(await harness.waitInSilence { $0.carrier.acknowledgedMarks >= 1 })
        // The caller talks over the agent for long enough to interrupt.
        await harness.play(CallerAudio.speech(seconds: 1.5, seed: 4))
        #expect(harness.carrier.clearCount == 1)
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()

        let agentTurns = result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
        let interrupted = try #require(agentTurns.first)
        #expect(interrupted.interrupted)
        #expect(interrupted.playedChunks >= 1)
        #expect(interrupted.playedChunks < 4)
        #expect(interrupted.playedText.hasPrefix("We have three plans."))
        #expect(!interrupted.playedText.contains("family plan"))
        // The sentences after the interruption were never synthesized.
        #expect(harness.tts.requests.map(\.text).contains("The family plan covers four people.") == false)
        // The model's next context holds only what the caller heard, marked as interrupted.
        let context = try #require(harness.llm.requests.dropFirst().first).messages
        let assistant = try #require(context.first { $0.role == .assistant })
        #expect(assistant.content.contains("[interrupted by the caller]"))
        #expect(!assistant.content.contains("family plan"))
        #expect(agentTurns.last?.playedText == "It is ten dollars.")
        #expect(harness.statistics.document().pipeline.bargeIns == 1)
    }

    @Test("a backchannel while the agent speaks does not interrupt")
    func backchannel() async throws {
        let harness = CallHarness()
        harness.stt.enqueue(ScriptedSpeechToText.transcript("What are your opening hours?"), ScriptedSpeechToText.transcript("Mhm."))
        harness.llm.enqueue(ScriptedLanguageModel.reply("We open at nine. We close at five. On Saturdays we close at noon."))
        for _ in 0..<3 { harness.tts.enqueue(ScriptedResponse(elements: ScriptedTextToSpeech.tone(milliseconds: 1500))) }

        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitInSilence { await $0.conversation.currentPhase == .speaking })
        // A short "mhm" (under the 600 ms barge-in threshold).
        await harness.play(CallerAudio.speech(seconds: 0.35, seed: 5))
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()
        #expect(harness.carrier.clearCount == 0)
        #expect(harness.stt.callCount == 2)
        #expect(harness.llm.callCount == 1)
        let agent = try #require(result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }.first)
        #expect(!agent.interrupted)
        #expect(agent.playedChunks == 3)
    }

    @Test("idle prompts after 10 s of silence, then goodbye and hang-up")
    func idle() async throws {
        let harness = CallHarness()
        let ended = await harness.waitInSilence(seconds: 60) { $0.carrier.isClosed }
        #expect(ended)
        let result = await harness.run.value
        #expect(result.endReason == .idle)
        let spoken = harness.tts.requests.map(\.text)
        #expect(spoken == ["Are you still there?", "Are you still there?", "Thank you for calling. Goodbye!"])
        let prompts = result.transcript.compactMap { if case .agent(let turn) = $0 { turn } else { nil } }
        #expect(prompts.map(\.kind) == [.idlePrompt, .idlePrompt, .goodbye])
        #expect(harness.carrier.commands.last == .hangUp)
    }

    @Test("an empty or junk transcript makes no LLM call")
    func emptyTranscript() async throws {
        let harness = CallHarness()
        harness.stt.enqueue(ScriptedSpeechToText.transcript(""), ScriptedSpeechToText.transcript("Thank you for watching."))
        await harness.play(CallerAudio.speech(seconds: 0.8))
        #expect(await harness.waitInSilence(seconds: 3) { harness in
            let phase = await harness.conversation.currentPhase
            return harness.stt.callCount == 1 && phase == .listening
        })
        await harness.play(CallerAudio.speech(seconds: 0.8, seed: 3))
        #expect(await harness.waitInSilence(seconds: 3) { harness in
            let phase = await harness.conversation.currentPhase
            return harness.stt.callCount == 2 && phase == .listening
        })
        _ = await harness.hangUp()
        #expect(harness.llm.callCount == 0)
        #expect(harness.tts.callCount == 0)
    }

    @Test("update_lead stores validated fields; end_call says goodbye and hangs up")
    func tools() async throws {
        var configuration = CallHarness.configuration()
        configuration.leadSchema = [LeadField(name: "name", type: .text), LeadField(name: "interest", type: .choice, allowedValues: ["basic", "premium"])]
        let harness = CallHarness(configuration: configuration)
        harness.stt.enqueue(ScriptedSpeechToText.transcript("I'm Ada and I want the premium plan. Bye."))
        harness.llm.enqueue(
            ScriptedLanguageModel.toolCall(id: "c1", name: "update_lead", argumentsJSON: #"{"name":"Ada","interest":"Premium"}"#),
            ScriptedLanguageModel.toolCall(id: "c2", name: "end_call", argumentsJSON: #"{"farewell":"Thanks Ada, goodbye!"}"#)
        )
        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitInSilence { $0.carrier.isClosed })
        let result = await harness.run.value
        #expect(result.endReason == .agentEnded)
        #expect(result.lead == ["name": "Ada", "interest": "premium"])
        #expect(harness.tts.requests.last?.text == "Thanks Ada, goodbye!")
        // The second model round saw the tool result.
        #expect(try #require(harness.llm.requests.dropFirst().first).messages.contains { $0.role == .tool && $0.content == #"{"ok":true}"# })
        #expect(try #require(harness.llm.requests.first).tools.map(\.name).contains("update_lead"))
    }

    @Test("an invalid lead value is rejected back to the model, nothing stored")
    func invalidLead() async throws {
        var configuration = CallHarness.configuration()
        configuration.leadSchema = [LeadField(name: "email", type: .email)]
        let harness = CallHarness(configuration: configuration)
        harness.stt.enqueue(ScriptedSpeechToText.transcript("My email is nope."))
        harness.llm.enqueue(ScriptedLanguageModel.toolCall(id: "c1", name: "update_lead", argumentsJSON: #"{"email":"nope"}"#), ScriptedLanguageModel.reply("Could you spell it?"))
        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()
        #expect(result.lead.isEmpty)
        let toolMessage = try #require(harness.llm.requests.dropFirst().first?.messages.first { $0.role == .tool })
        #expect(toolMessage.content.contains("not an e-mail address"))
    }

    @Test("provider outage: the caller hears the apology, repeated failures end the call politely")
    func providerFailure() async throws {
        var configuration = CallHarness.configuration()
        configuration.maximumConsecutiveFailures = 2
        let harness = CallHarness(configuration: configuration)
        harness.stt.enqueue(.failure(.server), .failure(.server))
        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitUntilListening())
        #expect(harness.tts.requests.map(\.text) == [configuration.apology])
        await harness.play(CallerAudio.speech(seconds: 1.0, seed: 7))
        #expect(await harness.waitInSilence { $0.carrier.isClosed })
        let result = await harness.run.value
        #expect(result.endReason == .providerFailure)
        #expect(result.errors.count == 2)
        #expect(harness.tts.requests.map(\.text) == [configuration.apology, configuration.goodbye])
        #expect(harness.statistics.document().errors.sttErrors == 2)
    }

    @Test("a fallback STT serves when the primary is down, and the result says which")
    func fallback() async throws {
        let primary = ScriptedSpeechToText(name: "primary")
        let secondary = ScriptedSpeechToText(name: "secondary", defaultText: "Hello from the backup.")
        primary.enqueue(.failure(.server), .failure(.server), .failure(.server))
        let fallback = FallbackSpeechToText([primary, secondary])
        let harness = CallHarness(speechToText: fallback)
        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()
        #expect(result.providers["stt"]?.hasPrefix("secondary") == true)
        #expect(result.transcript.contains { if case .caller(let turn) = $0 { turn.text == "Hello from the backup." } else { false } })
        #expect(result.errors.isEmpty)
    }

    @Test("speculative STT: the pause before the end of the turn is used to transcribe; one reply, the request counted")
    func speculation() async throws {
        var configuration = CallHarness.configuration()
        configuration.speculation.enabled = true
        let stt = ScriptedSpeechToText(defaultText: "I would like to book an appointment.")
        let harness = CallHarness(configuration: configuration, stt: stt)
        harness.llm.enqueue(ScriptedLanguageModel.reply("Sure. What day works for you?"))
        await harness.play(CallerAudio.speech(seconds: 1.2))
        #expect(await harness.waitInSilence { await $0.conversation.currentPhase == .speaking })
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()
        #expect(result.errors.isEmpty)
        #expect(result.transcript.compactMap { if case .caller(let turn) = $0 { turn.text } else { nil } } == ["I would like to book an appointment."])
        #expect(harness.llm.callCount == 1)
        #expect(result.usage.sttSpeculativeRequests >= 1)
        // Exactly one request's transcript was used (parked before the end of the turn, or
        // adopted while in flight); no STT request was made after the turn ended.
        #expect(result.usage.sttSpeculativeRequests - result.usage.sttSpeculativeWasted == 1)
        #expect(result.usage.sttRequests == result.usage.sttSpeculativeRequests)
    }

    @Test("DTMF digits reach the model as text")
    func dtmf() async throws {
        let harness = CallHarness()
        harness.llm.enqueue(ScriptedLanguageModel.reply("You pressed one two."))
        await harness.play(CallerAudio.silence(seconds: 0.2))
        await harness.conversation.handle(.dtmf(digit: "1"))
        await harness.conversation.handle(.dtmf(digit: "2"))
        await harness.conversation.handle(.dtmf(digit: "#"))
        #expect(await harness.waitUntilListening())
        _ = await harness.hangUp()
        #expect(harness.llm.requests.first?.messages.last?.content.contains("12") == true)
    }

    @Test("cancelling the call cancels every child task and still yields a result")
    func cancellation() async throws {
        let harness = CallHarness()
        harness.llm.enqueue(ScriptedResponse(elements: [], hangs: true))
        await harness.play(CallerAudio.speech(seconds: 1.0))
        #expect(await harness.waitInSilence(seconds: 5) { $0.llm.callCount == 1 })
        harness.run.cancel()
        // run() returns only after its task group, i.e. every turn task, has finished.
        let result = await harness.run.value
        #expect(result.endReason == .cancelled)
        let phase = await harness.conversation.currentPhase
        #expect(phase == .ended)
    }
}

@Suite("Call conversation: cache and recording")
struct ConversationCacheTests {
    @Test("a pre-warmed greeting plays from the TTS cache with no provider request")
    func cachedGreeting() async throws {
        let tts = ScriptedTextToSpeech()
        let cache = TTSCache()
        let configuration = CallHarness.configuration(greeting: "Hello from the cache.")
        let failures = await CachingTextToSpeech(tts, cache: cache).prewarm(
            configuration.cacheablePhrases.map { SpeechSynthesisRequest(text: $0) }, context: ProviderCallContext()
        )
        #expect(failures.isEmpty)
        let warmed = tts.callCount
        let harness = CallHarness(configuration: configuration, tts: tts, cache: cache)
        // The greeting's audio is queued before any caller audio arrives.
        #expect(await harness.waitInSilence(seconds: 1) { !$0.carrier.commands.isEmpty })
        #expect(await harness.waitUntilListening())
        let result = await harness.hangUp()
        #expect(tts.callCount == warmed)
        #expect(result.usage.ttsCacheHits == 1)
        #expect(result.usage.ttsCharacters == 0)
    }

    @Test("both legs are recorded to one stereo PCM16 WAV at the engine's rate")
    func recording() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = CallHarness.configuration(greeting: "Hello.")
        configuration.recordingDirectory = directory.path
        let harness = CallHarness(configuration: configuration)
        #expect(await harness.waitUntilListening())
        await harness.play(CallerAudio.silence(seconds: 1))
        _ = await harness.hangUp()
        // Named like the call's result (collision-free stem), readable by the owner only.
        let recording = directory.appendingPathComponent(CallIdentity(callID: "CA-test", streamID: "MZ-test", botID: "test-bot").storageName + ".wav")
        #expect((try FileManager.default.attributesOfItem(atPath: recording.path)[.posixPermissions] as? Int) == 0o600)
        let file = try WAVFile(parsing: [UInt8](Data(contentsOf: recording)))
        #expect(file.format == AudioFormat(encoding: .pcm16, sampleRate: 8000, channels: 2))
        let samples = file.pcm16Samples()
        let agent = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        // The greeting (a 440 Hz tone from the scripted TTS) is in the right channel.
        #expect(PCM16.peakDBFS(agent) > -20)
        #expect(file.frameCount >= 8000)
    }
}
