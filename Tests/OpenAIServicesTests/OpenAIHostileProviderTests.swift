import AsyncHTTPClient
import CallTesting
import OpenAIServices
import SpeechServices
import Testing

/// Hostile provider answers (issue 13): every one ends in a typed error, none traps.
@Suite("Hostile provider answers: clamped numbers, capped streams, typed errors", .timeLimit(.minutes(2)), .serialized)
struct OpenAIHostileProviderTests {
    /// A hostile `retry-after` value and the delay the client must carry (nil: ignored).
    struct RetryAfterCase: Sendable, CustomTestStringConvertible {
        var header: String
        var value: String
        var expected: Duration?
        var testDescription: String { "\(header): \(value)" }
    }

    static let retryAfterCases: [RetryAfterCase] = [
        RetryAfterCase(header: "retry-after", value: "1e20", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "inf", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "-inf", expected: nil),
        RetryAfterCase(header: "retry-after", value: "nan", expected: nil),
        RetryAfterCase(header: "retry-after", value: "-5", expected: nil),
        RetryAfterCase(header: "retry-after", value: "1.7976931348623157e308", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "9223372036854775807", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "Mon, 01 Jan 2300 00:00:00 GMT", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "Fri, 31 Dec 9999 23:59:59 GMT", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after", value: "Thu, 01 Jan 1970 00:00:00 GMT", expected: nil),
        RetryAfterCase(header: "retry-after", value: "soon", expected: nil),
        RetryAfterCase(header: "retry-after-ms", value: "1e13", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after-ms", value: "inf", expected: .seconds(60)),
        RetryAfterCase(header: "retry-after-ms", value: "nan", expected: nil),
        RetryAfterCase(header: "retry-after-ms", value: "2500", expected: .milliseconds(2500)),
    ]

    @Test("a 429 with a hostile retry-after is a rate-limit error with a clamped or ignored delay", arguments: retryAfterCases)
    func hostileRetryAfter(_ testCase: RetryAfterCase) async throws {
        try await withWireServer { server in
            let behavior = testCase.header == "retry-after"
                ? WireBehavior.rateLimited(retryAfterValue: testCase.value)
                : WireBehavior.rateLimited(retryAfterValue: nil, retryAfterMillisecondsValue: testCase.value)
            server.enqueue(behavior, for: .speech)
            do {
                _ = try await makeClient(server).speechSynthesizer.synthesize(SpeechSynthesisRequest(text: "Hello."), context: callContext).collect()
                Issue.record("expected a rate-limit error")
            } catch let error as ProviderError {
                #expect(error.kind == .rateLimited)
                #expect(error.statusCode == 429)
                #expect(error.retryAfter == testCase.expected)
            }
        }
    }

    @Test("retry-after 1e20 on the resilient TTS (the measured crash at pre-warm): no trap, no retry, typed error")
    func measuredRetryAfterCrash() async throws {
        try await withWireServer { server in
            server.enqueue(.rateLimited(retryAfterValue: "1e20"), for: .speech)
            let clock = ManualClock()
            let tts = ResilientTextToSpeech(makeClient(server).speechSynthesizer, policy: ResiliencePolicy(timeouts: .none), clock: clock)
            do {
                _ = try await tts.synthesize(SpeechSynthesisRequest(text: "Hello."), context: callContext).collect()
                Issue.record("expected a rate-limit error")
            } catch let error as ProviderError {
                #expect(error.kind == .rateLimited)
                #expect(error.retryAfter == .seconds(60))
            }
            // 60 s is beyond the retry policy's 20 s cap: give up at once (the fallback chain moves on).
            #expect(server.requestCount(for: .speech) == 1)
            #expect(clock.totalSleeps == 0)
        }
    }

    @Test("a TTS 200 with text/html is a malformed response and no byte reaches the caller")
    func htmlSpeech() async throws {
        try await withWireServer { server in
            server.enqueue(.htmlPage, for: .speech)
            let tts = ResilientTextToSpeech(makeClient(server).speechSynthesizer, policy: ResiliencePolicy(timeouts: .none), clock: ManualClock())
            var bytes = 0
            do {
                for try await chunk in tts.synthesize(SpeechSynthesisRequest(text: "Hello."), context: callContext) { bytes += chunk.bytes.count }
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("text/html"))
            }
            #expect(bytes == 0)
            #expect(server.requestCount(for: .speech) == 1)
        }
    }

    @Test("a chat 200 with text/html is a malformed response")
    func htmlChat() async throws {
        try await withWireServer { server in
            server.enqueue(.htmlPage, for: .chatCompletions)
            let error = await #expect(throws: ProviderError.self) {
                try await makeClient(server).chatModel.stream(chatRequest, context: callContext).collect()
            }
            #expect(error?.kind == .malformedResponse)
        }
    }

    @Test("200 MB of PCM for a short sentence is cut at the sentence's allowance with a typed error")
    func hugeSpeech() async throws {
        try await withWireServer { server in
            server.enqueue(.hugeSpeech(bytes: 200 << 20), for: .speech)
            let client = makeClient(server)
            let request = SpeechSynthesisRequest(text: "Hello there.")
            let allowance = client.configuration.maxSpeechBytes(characters: request.text.count, speed: nil)
            #expect(allowance == 15 * 48_000)
            var bytes = 0
            do {
                for try await chunk in client.speechSynthesizer.synthesize(request, context: callContext) { bytes += chunk.bytes.count }
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("exceeds \(allowance) bytes"))
            }
            #expect(bytes > 0)
            #expect(bytes <= allowance)
        }
    }

    @Test("a 50 MB SSE line fails at the 1 MiB line limit")
    func giantSSELine() async throws {
        try await withWireServer { server in
            server.enqueue(.giantSSELine(bytes: 50 << 20), for: .chatCompletions)
            do {
                _ = try await makeClient(server).chatModel.stream(chatRequest, context: callContext).collect()
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("lineTooLong(limit: 1048576)"))
                #expect(!error.isRetryable)
            }
        }
    }

    @Test("endless text deltas stop at the reply character cap")
    func endlessDeltas() async throws {
        try await withWireServer { server in
            server.enqueue(.endlessDeltas(content: "la "), for: .chatCompletions)
            #expect(makeClient(server).configuration.maxReplyCharacters == 32_768)
            // A smaller cap keeps the test cheap (JSON decoding of every delta in a debug build).
            var configuration = makeClient(server).configuration
            configuration.maxReplyCharacters = 4000
            let client = OpenAIClient(configuration: configuration, httpClient: .shared)
            var characters = 0
            do {
                for try await event in client.chatModel.stream(chatRequest, context: callContext) {
                    if case .textDelta(let text) = event { characters += text.count }
                }
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("exceeds 4000 characters"))
            }
            #expect(characters > 3900)
            #expect(characters <= 4000)
        }
    }

    @Test("endless deltas without text stop at the stream byte cap")
    func endlessEmptyDeltas() async throws {
        try await withWireServer { server in
            server.enqueue(.endlessDeltas(content: ""), for: .chatCompletions)
            var configuration = makeClient(server).configuration
            configuration.maxChatStreamBytes = 1 << 20
            let client = OpenAIClient(configuration: configuration, httpClient: .shared)
            do {
                _ = try await client.chatModel.stream(chatRequest, context: callContext).collect()
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(error.message.contains("exceeds 1048576 bytes"))
            }
        }
    }

    @Test("a transcription JSON body over the cap is a malformed response, not a retryable connection error")
    func hugeTranscriptionJSON() async throws {
        try await withWireServer { server in
            let part = [UInt8](repeating: 0x61, count: 64 * 1024)
            server.enqueue(
                WireBehavior(.repeated(contentType: "application/json", prefix: Array("{\"text\":\"".utf8), part: part, count: 80)),
                for: .transcriptions
            )
            do {
                _ = try await makeClient(server).transcriber.transcribe(TranscriptionRequest(samples: [1, 2, 3], sampleRate: 8000), context: callContext)
                Issue.record("expected a malformed response")
            } catch let error as ProviderError {
                #expect(error.kind == .malformedResponse)
                #expect(!error.isRetryable)
            }
        }
    }

    @Test("absurd JSON numbers are clamped: token counts near Int.max, a tool index of 2^62, a huge duration")
    func absurdJSONNumbers() async throws {
        try await withWireServer { server in
            let head = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":"
            server.enqueue(
                WireBehavior(.rawEvents([
                    head + "[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}",
                    head + "[],\"usage\":{\"prompt_tokens\":9223372036854775807,\"completion_tokens\":9223372036854775807,\"total_tokens\":-3}}",
                    "[DONE]",
                ])),
                WireBehavior(.rawEvents([
                    head + "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4611686018427387904,\"id\":\"x\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}",
                ])),
                for: .chatCompletions
            )
            let client = makeClient(server)
            let events = try await client.chatModel.stream(chatRequest, context: callContext).collect()
            let limit = OpenAIChatStreamDecoder.maxTokenCount
            #expect(events.last == .usage(TokenUsage(promptTokens: limit, completionTokens: limit, totalTokens: 0)))
            let error = await #expect(throws: ProviderError.self) {
                try await client.chatModel.stream(chatRequest, context: callContext).collect()
            }
            #expect(error?.kind == .malformedResponse)

            server.enqueue(
                WireBehavior(.raw(status: 200, contentType: "application/json", body: Array("{\"text\":\"ok\",\"duration\":1e308}".utf8))),
                for: .transcriptions
            )
            let transcript = try await client.transcriber.transcribe(TranscriptionRequest(samples: [1, 2, 3], sampleRate: 8000), context: callContext)
            #expect(transcript.duration == 86_400)
        }
    }
}
