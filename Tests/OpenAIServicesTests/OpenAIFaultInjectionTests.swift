import AsyncHTTPClient
import CallTesting
import OpenAIServices
import SpeechServices
import Testing

@Suite("Fault injection on the wire: error mapping, retries, timeouts", .timeLimit(.minutes(2)))
struct OpenAIFaultInjectionTests {
    /// A resilient chat model on `server` with a manual clock and no stage timeouts.
    func resilientChat(_ server: OpenAIWireServer, clock: ManualClock, attempts: Int = 3) -> ResilientLanguageModel {
        ResilientLanguageModel(
            makeClient(server).chatModel,
            policy: ResiliencePolicy(retry: RetryPolicy(maxAttempts: attempts, random: { 0 }), timeouts: .none),
            clock: clock
        )
    }

    @Test("401 maps to authentication, is not retried, and never reveals the API key")
    func unauthorized() async throws {
        try await withWireServer { server in
            let clock = ManualClock()
            let chat = ResilientLanguageModel(makeClient(server, apiKey: "sk-wrong-KEY-abcdef").chatModel, policy: ResiliencePolicy(timeouts: .none), clock: clock)
            do {
                _ = try await chat.stream(chatRequest, context: callContext).collect()
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .authentication)
                #expect(error.statusCode == 401)
                #expect(!"\(error)".contains("sk-wrong-KEY-abcdef"))
                #expect(!String(reflecting: error).contains("sk-wrong-KEY-abcdef"))
            }
            #expect(server.requestCount(for: .chatCompletions) == 1)
            let configuration = OpenAIConfiguration(apiKey: OpenAIAPIKey("sk-wrong-KEY-abcdef"))
            #expect(!String(reflecting: configuration).contains("sk-wrong"))
            #expect(!"\(configuration)".contains("sk-wrong"))
        }
    }

    @Test("insufficient_quota is not retried")
    func insufficientQuota() async throws {
        try await withWireServer { server in
            server.enqueue(.insufficientQuota, for: .chatCompletions)
            let clock = ManualClock()
            await #expect(throws: ProviderError.self) { try await resilientChat(server, clock: clock).stream(chatRequest, context: callContext).collect() }
            #expect(server.requestCount(for: .chatCompletions) == 1)
            #expect(clock.totalSleeps == 0)
        }
    }

    @Test("429 with retry-after-ms waits that long, then retries and succeeds")
    func rateLimitedRetryAfterMilliseconds() async throws {
        try await withWireServer { server in
            server.enqueue(.rateLimited(retryAfter: 30, retryAfterMilliseconds: 1250), for: .chatCompletions)
            let clock = ManualClock()
            let chat = resilientChat(server, clock: clock)
            let task = Task { try await chat.stream(chatRequest, context: callContext).collect() }
            await clock.waitForSleepers(count: 1)
            #expect(clock.nextDeadline == .milliseconds(1250))
            clock.advance(by: .milliseconds(1250))
            let events = try await task.value
            #expect(text(of: events) == "Sure. What time would you like?")
            #expect(server.requestCount(for: .chatCompletions) == 2)
        }
    }

    @Test("429 with retry-after seconds is honoured; beyond the cap it is not retried")
    func rateLimitedRetryAfterSeconds() async throws {
        try await withWireServer { server in
            server.enqueue(.rateLimited(retryAfter: 2), .rateLimited(retryAfter: 600), for: .chatCompletions)
            let clock = ManualClock()
            let chat = resilientChat(server, clock: clock)
            let task = Task { try await chat.stream(chatRequest, context: callContext).collect() }
            await clock.waitForSleepers(count: 1)
            #expect(clock.nextDeadline == .seconds(2))
            clock.advance(by: .seconds(2))
            do {
                _ = try await task.value
                Issue.record("expected rate limit error")
            } catch let error as ProviderError {
                #expect(error.kind == .rateLimited)
                #expect(error.retryAfter == .seconds(60))  // 600 s clamped to the 60 s maximum; still over the 20 s retry cap
            }
            #expect(server.requestCount(for: .chatCompletions) == 2)
        }
    }

    @Test("500 and 503 are retried with backoff", arguments: [500, 502, 503])
    func serverErrorsRetried(status: Int) async throws {
        try await withWireServer { server in
            server.enqueue(.serverError(status), for: .speech)
            let clock = ManualClock()
            let tts = ResilientTextToSpeech(
                makeClient(server).speechSynthesizer, policy: ResiliencePolicy(retry: RetryPolicy(random: { 0 }), timeouts: .none), clock: clock
            )
            let task = Task { try await tts.synthesize(SpeechSynthesisRequest(text: "Hello"), context: callContext).collect() }
            await clock.waitForSleepers(count: 1)
            #expect(clock.nextDeadline == .milliseconds(500))
            clock.advance(by: .milliseconds(500))
            let chunks = try await task.value
            #expect(chunks.flatMap(\.bytes).count == 24_000 * 2 / 5)  // 200 ms default tone
            #expect(server.requestCount(for: .speech) == 2)
        }
    }

    @Test("a reset before any output is retried; a reset after output is not")
    func resetMidStream() async throws {
        try await withWireServer { server in
            let clock = ManualClock()
            // Part 0 is the role chunk (no output); reset before the first text delta.
            server.enqueue(.resetMidStream(afterParts: 1), for: .chatCompletions)
            let task = Task { try await resilientChat(server, clock: clock).stream(chatRequest, context: callContext).collect() }
            await clock.waitForSleepers(count: 1)
            clock.advance(by: .milliseconds(500))
            let events = try await task.value
            #expect(text(of: events) == "Sure. What time would you like?")
            #expect(server.requestCount(for: .chatCompletions) == 2)

            // Reset after two text deltas: the caller already has text, so no retry. The
            // server resets only once the test has both deltas (a reset can drop bytes in flight).
            let deltasReceived = WireSignal()
            server.enqueue(.resetMidStream(afterParts: 3, when: deltasReceived), for: .chatCompletions)
            var received: [LLMEvent] = []
            do {
                for try await event in resilientChat(server, clock: clock).stream(chatRequest, context: callContext) {
                    received.append(event)
                    if text(of: received) == "Sure. What " { deltasReceived.fire() }
                }
                Issue.record("expected a connection error")
            } catch let error as ProviderError {
                #expect(error.kind == .connection)
            }
            #expect(text(of: received) == "Sure. What ")
            #expect(server.requestCount(for: .chatCompletions) == 3)
        }
    }

    @Test("a partially streamed TTS answer is not retried")
    func ttsPartialNotRetried() async throws {
        try await withWireServer { server in
            let firstPartReceived = WireSignal()
            server.enqueue(.resetMidStream(afterParts: 1, when: firstPartReceived), for: .speech)
            let clock = ManualClock()
            let tts = ResilientTextToSpeech(makeClient(server).speechSynthesizer, policy: ResiliencePolicy(timeouts: .none), clock: clock)
            var bytes = 0
            do {
                for try await chunk in tts.synthesize(SpeechSynthesisRequest(text: "A longer sentence to speak."), context: callContext) {
                    bytes += chunk.bytes.count
                    if bytes >= 4800 { firstPartReceived.fire() }
                }
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .connection)
            }
            #expect(bytes == 4800)
            #expect(server.requestCount(for: .speech) == 1)
        }
    }

    @Test("a truncated event stream fails as a retryable connection error")
    func truncatedSSE() async throws {
        try await withWireServer { server in
            server.enqueue(.truncatedSSE(afterParts: 1), for: .chatCompletions)
            do {
                _ = try await makeClient(server).chatModel.stream(chatRequest, context: callContext).collect()
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .connection)
                #expect(error.isRetryable)
            }
        }
    }

    @Test("invalid JSON fails as a malformed response and is not retried")
    func invalidJSON() async throws {
        try await withWireServer { server in
            server.enqueue(.invalidJSON(for: .chatCompletions), for: .chatCompletions)
            server.enqueue(.invalidJSON(for: .transcriptions), for: .transcriptions)
            let clock = ManualClock()
            do {
                _ = try await resilientChat(server, clock: clock).stream(chatRequest, context: callContext).collect()
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
            }
            #expect(server.requestCount(for: .chatCompletions) == 1)
            do {
                _ = try await makeClient(server).transcriber.transcribe(TranscriptionRequest(samples: [1, 2], sampleRate: 8000), context: callContext)
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
            }
        }
    }

    @Test("an in-stream error object maps to a provider error")
    func inStreamError() async throws {
        try await withWireServer { server in
            server.enqueue(WireBehavior(.rawEvents(["{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}"])), for: .chatCompletions)
            do {
                _ = try await makeClient(server).chatModel.stream(chatRequest, context: callContext).collect()
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.kind == .server)
                #expect(error.message.contains("overloaded"))
            }
        }
    }

    @Test("a missing required field is rejected by the wire server as invalid and not retried")
    func invalidRequest() async throws {
        try await withWireServer { server in
            let clock = ManualClock()
            let chat = resilientChat(server, clock: clock)
            await #expect(throws: ProviderError.self) { try await chat.stream(ChatRequest(messages: []), context: callContext).collect() }
            #expect(server.requestCount(for: .chatCompletions) == 1)
        }
    }
}

@Suite("Stage timeouts on the wire (real clock, short timeouts)")
struct OpenAIWireTimeoutTests {
    func policy(firstByte: Duration?, stall: Duration?, total: Duration?) -> ResiliencePolicy {
        ResiliencePolicy(retry: .none, timeouts: TimeoutPolicy(firstByte: firstByte, stall: stall, total: total))
    }

    @Test("stall after headers fires the first-byte timeout")
    func stallAfterHeaders() async throws {
        try await withWireServer { server in
            server.enqueue(.stallAfterHeaders, for: .chatCompletions)
            let chat = ResilientLanguageModel(makeClient(server).chatModel, policy: policy(firstByte: .milliseconds(300), stall: .seconds(30), total: .seconds(60)))
            do {
                _ = try await chat.stream(chatRequest, context: callContext).collect()
                Issue.record("expected a timeout")
            } catch let error as ProviderError {
                #expect(error.kind == .timeout(.firstByte))
            }
        }
    }

    @Test("slow first byte fires the first-byte timeout; within the limit it succeeds")
    func slowFirstByte() async throws {
        try await withWireServer { server in
            // Generous margins both ways: this runs on a real clock on a loaded 2-core CI machine.
            server.enqueue(.slowFirstByte(.seconds(30)), .slowFirstByte(.milliseconds(50)), for: .transcriptions)
            let stt = ResilientSpeechToText(makeClient(server).transcriber, policy: policy(firstByte: .seconds(8), stall: nil, total: .seconds(60)))
            let request = TranscriptionRequest(samples: [Int16](repeating: 0, count: 800), sampleRate: 8000)
            do {
                _ = try await stt.transcribe(request, context: callContext)
                Issue.record("expected a timeout")
            } catch let error as ProviderError {
                #expect(error.kind == .timeout(.firstByte))
            }
            let transcript = try await stt.transcribe(request, context: callContext)
            #expect(!transcript.text.isEmpty)
        }
    }

    @Test("a stall between audio chunks fires the stall timeout")
    func stallBetweenChunks() async throws {
        try await withWireServer { server in
            server.enqueue(.stall(afterParts: 2), for: .speech)
            let tts = ResilientTextToSpeech(makeClient(server).speechSynthesizer, policy: policy(firstByte: .seconds(30), stall: .milliseconds(1500), total: .seconds(60)))
            var bytes = 0
            do {
                for try await chunk in tts.synthesize(SpeechSynthesisRequest(text: "A sentence that is long enough for several chunks."), context: callContext) {
                    bytes += chunk.bytes.count
                }
                Issue.record("expected a timeout")
            } catch let error as ProviderError {
                #expect(error.kind == .timeout(.stall))
            }
            #expect(bytes == 9600)
        }
    }

    @Test("the total timeout fires on a slow drip of chunks that never stalls")
    func totalTimeout() async throws {
        try await withWireServer { server in
            server.enqueue(WireBehavior(.success, partInterval: .milliseconds(100)), for: .speech)
            // 20 s of drip (2000 characters at 10 ms of audio each, 100 ms per part) against a 6 s total.
            let tts = ResilientTextToSpeech(makeClient(server).speechSynthesizer, policy: policy(firstByte: .seconds(30), stall: .seconds(30), total: .seconds(6)))
            var received = 0
            do {
                for try await chunk in tts.synthesize(SpeechSynthesisRequest(text: String(repeating: "long text ", count: 200)), context: callContext) {
                    received += chunk.bytes.count
                }
                Issue.record("expected a timeout")
            } catch let error as ProviderError {
                #expect(error.kind == .timeout(.total))
            }
            #expect(received > 0)
        }
    }
}
