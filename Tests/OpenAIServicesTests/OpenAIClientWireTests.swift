import AsyncHTTPClient
import CallAudio
import CallTesting
import Foundation
import OpenAIServices
import SpeechServices
import Testing

@Suite("OpenAI clients against the local wire server", .timeLimit(.minutes(2)))
struct OpenAIClientWireTests {
    @Test("transcription uploads a multipart WAV with model, language and prompt")
    func transcription() async throws {
        try await withWireServer { server in
            server.enqueue(WireBehavior(.transcription("I need a plumber.")), for: .transcriptions)
            let samples = (0..<1600).map { Int16(truncatingIfNeeded: $0 * 37) }
            let transcript = try await makeClient(server).transcriber.transcribe(
                TranscriptionRequest(samples: samples, sampleRate: 16_000, language: "en", prompt: "Plumbing"), context: callContext
            )
            #expect(transcript.text == "I need a plumber.")
            let recorded = try #require(server.requests(for: .transcriptions).first)
            #expect(recorded.formFields["model"]?.text == "whisper-1")
            #expect(recorded.formFields["language"]?.text == "en")
            #expect(recorded.formFields["prompt"]?.text == "Plumbing")
            let file = try #require(recorded.formFields["file"])
            #expect(file.filename == "audio.wav")
            #expect(file.contentType == "audio/wav")
            let wav = try WAVFile(parsing: file.data)
            #expect(wav.format.sampleRate == 16_000)
            #expect(wav.pcm16Samples() == samples)
            #expect(recorded.headers["authorization"] == "Bearer \(testAPIKey)")
            #expect(recorded.headers["openai-organization"] == "org-test")
            #expect(recorded.headers["openai-project"] == "proj-test")
        }
    }

    @Test("an upload over 25 MiB fails with a clear error before any request")
    func uploadLimit() async throws {
        try await withWireServer { server in
            let samples = [Int16](repeating: 0, count: 13_200_000)  // 26.4 MB of PCM16
            do {
                _ = try await makeClient(server).transcriber.transcribe(TranscriptionRequest(samples: samples, sampleRate: 8000), context: callContext)
                Issue.record("expected inputTooLarge")
            } catch let error as ProviderError {
                #expect(error.kind == .inputTooLarge)
                #expect(error.message.contains("26214400"))
            }
            #expect(server.requestCount(for: .transcriptions) == 0)
        }
    }

    @Test("chat streams text, finish reason and usage; the request asks for streaming with usage")
    func chatText() async throws {
        try await withWireServer { server in
            server.enqueue(WireBehavior(.chat(.text("Sure, Dr. Lee is free at 3.30 pm. Shall I book it?"))), for: .chatCompletions)
            let events = try await makeClient(server).chatModel.stream(chatRequest, context: callContext).collect()
            #expect(text(of: events) == "Sure, Dr. Lee is free at 3.30 pm. Shall I book it?")
            #expect(events.contains(.finished(.stop)))
            #expect(events.last == .usage(TokenUsage(promptTokens: 12, completionTokens: 8, totalTokens: 20)))
            let json = try #require(server.requests(for: .chatCompletions).first?.json)
            #expect(json["stream"] as? Bool == true)
            #expect((json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
            #expect(json["model"] as? String == "gpt-4o-mini")
            #expect((json["messages"] as? [[String: Any]])?.first?["role"] as? String == "system")
        }
    }

    @Test("a {request} placeholder makes every streamed reply a different text (load tests defeat phrase caches)")
    func numberedReplies() async throws {
        try await withWireServer { server in
            server.setDefault(WireBehavior(.chat(.text("Table {request} is free."))), for: .chatCompletions)
            let client = makeClient(server)
            var replies: [String] = []
            for _ in 0..<3 {
                replies.append(text(of: try await client.chatModel.stream(chatRequest, context: callContext).collect()))
            }
            #expect(Set(replies).count == 3)
            #expect(replies.allSatisfy { $0.hasPrefix("Table ") && $0.hasSuffix(" is free.") && !$0.contains("{request}") })
        }
    }

    @Test("chat tool-call deltas are assembled into complete calls before finish")
    func chatToolCalls() async throws {
        try await withWireServer { server in
            let calls = [
                ToolCall(id: "call_a", name: "get_weather", argumentsJSON: "{\"city\":\"Edinburgh\",\"country\":\"UK\",\"units\":\"c\"}"),
                ToolCall(id: "call_b", name: "book_slot", argumentsJSON: "{\"time\":\"15:30\"}"),
            ]
            server.enqueue(WireBehavior(.chat(ChatScript(toolCalls: calls, argumentFragmentLength: 5))), for: .chatCompletions)
            let request = ChatRequest(
                messages: [.user("weather?")],
                tools: [ToolDefinition(name: "get_weather", description: "Weather", parametersJSONSchema: "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}")]
            )
            let events = try await makeClient(server).chatModel.stream(request, context: callContext).collect()
            let assembled = events.compactMap { event -> ToolCall? in
                if case .toolCall(let call) = event { return call }
                return nil
            }
            #expect(assembled == calls)
            #expect(events.filter { if case .toolCallDelta = $0 { return true } else { return false } }.count > 4)
            let finishIndex = try #require(events.firstIndex(of: .finished(.toolCalls)))
            #expect(events[..<finishIndex].contains(.toolCall(calls[1])))
            let tools = try #require(server.requests(for: .chatCompletions).first?.json?["tools"] as? [[String: Any]])
            #expect((tools.first?["function"] as? [String: Any])?["name"] as? String == "get_weather")
        }
    }

    @Test("speech streams 24 kHz PCM in whole samples even when the server splits at odd offsets")
    func speechOddChunks() async throws {
        try await withWireServer { server in
            let pcm = ToneGenerator.pcm16(frequency: 440, milliseconds: 300, sampleRate: 24_000)
            server.enqueue(WireBehavior(.speech(pcm: pcm, chunkBytes: 1001)), for: .speech)
            let tts = makeClient(server).speechSynthesizer
            let chunks = try await tts.synthesize(SpeechSynthesisRequest(text: "Hello there", voice: "nova", speed: 1.25), context: callContext).collect()
            #expect(chunks.count > 1)
            #expect(chunks.allSatisfy { $0.bytes.count % 2 == 0 && $0.format == .pcm24k })
            #expect(chunks.flatMap(\.bytes) == pcm)
            let json = try #require(server.requests(for: .speech).first?.json)
            #expect(json["response_format"] as? String == "pcm")
            #expect(json["voice"] as? String == "nova")
            #expect(json["speed"] as? Double == 1.25)
            #expect(json["model"] as? String == "gpt-4o-mini-tts")
            #expect(json["instructions"] == nil)
        }
    }

    @Test("the speech request body escapes any text: quotes, backslashes, control characters, non-ASCII")
    func speechBodyEscaping() async throws {
        try await withWireServer { server in
            let text = "She said \"10\\20 </b>\"\nthen\ttabbed \u{1} caf\u{E9} \u{1F4DE}"
            let request = SpeechSynthesisRequest(text: text, voice: "alloy", instructions: "Warm;\n \"friendly\"")
            _ = try await makeClient(server).speechSynthesizer.synthesize(request, context: callContext).collect()
            let json = try #require(server.requests(for: .speech).first?.json)
            #expect(json["input"] as? String == text)
            #expect(json["instructions"] as? String == "Warm;\n \"friendly\"")
            #expect(json["speed"] == nil)

            // A speed JSON cannot carry is a typed error, not a request.
            do {
                _ = try await makeClient(server).speechSynthesizer.synthesize(SpeechSynthesisRequest(text: "Hi", speed: .nan), context: callContext).collect()
                Issue.record("expected an invalid-request error")
            } catch let error as ProviderError {
                #expect(error.kind == .invalidRequest)
            }
            #expect(server.requestCount(for: .speech) == 1)
        }
    }

    @Test("OpenAI providers pass the conformance kit")
    func conformance() async throws {
        try await withWireServer { server in
            let client = makeClient(server)
            server.enqueue(
                WireBehavior(.chat(.text("Hello."))),
                WireBehavior(.chat(ChatScript(toolCalls: [ToolCall(id: "call_1", name: "hang_up", argumentsJSON: "{}")]))),
                for: .chatCompletions
            )
            #expect(await ProviderConformance.checkLanguageModel(client.chatModel, toolRequest: ChatRequest(messages: [.user("bye")])) == [])
            #expect(await ProviderConformance.checkTextToSpeech(client.speechSynthesizer) == [])
            #expect(await ProviderConformance.checkSpeechToText(
                client.transcriber, request: TranscriptionRequest(samples: [Int16](repeating: 0, count: 8000), sampleRate: 8000), expectedText: "book a table"
            ) == [])
        }
    }

    @Test("an owned HTTP client shuts down cleanly")
    func ownedClientShutdown() async throws {
        try await withWireServer { server in
            let client = OpenAIClient(configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey(testAPIKey), baseURL: server.baseURL))
            let events = try await client.chatModel.stream(chatRequest, context: callContext).collect()
            #expect(!text(of: events).isEmpty)
            try await client.shutdown()
        }
    }
}
