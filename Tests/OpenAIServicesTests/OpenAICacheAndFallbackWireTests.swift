import AsyncHTTPClient
import CallTesting
import NIOConcurrencyHelpers
import OpenAIServices
import SpeechServices
import Testing

@Suite("TTS cache and fallback over the wire", .timeLimit(.minutes(2)))
struct OpenAICacheAndFallbackWireTests {
    @Test("a pre-warmed phrase is served from the cache with no HTTP request")
    func prewarmedPhraseNoRequest() async throws {
        try await withWireServer { server in
            let tts = CachingTextToSpeech(makeClient(server).speechSynthesizer, cache: TTSCache())
            let phrases = ["Thanks for calling Acme Dental, how can I help?", "Are you still there?", "Sorry, I didn't catch that."]
            let failures = await tts.prewarm(phrases.map { SpeechSynthesisRequest(text: $0) }, context: callContext)
            #expect(failures.isEmpty)
            #expect(server.requestCount(for: .speech) == 3)
            let direct = try await makeClient(server).speechSynthesizer.synthesize(SpeechSynthesisRequest(text: "Are you still there?"), context: callContext).collect()
            #expect(server.requestCount(for: .speech) == 4)
            let cached = try await tts.synthesize(SpeechSynthesisRequest(text: "Are you still there?"), context: callContext).collect()
            #expect(server.requestCount(for: .speech) == 4, "served without an HTTP request")
            #expect(cached.flatMap(\.bytes) == direct.flatMap(\.bytes))
            _ = try await tts.synthesize(SpeechSynthesisRequest(text: "Are you still there?", voice: "echo"), context: callContext).collect()
            #expect(server.requestCount(for: .speech) == 5, "another voice is another cache key")
        }
    }

    @Test("fallback between two wire servers: switch on 503s, breaker opens, probe recovers, switch back")
    func fallbackBetweenServers() async throws {
        try await withWireServer { primaryServer in
            try await withWireServer { secondaryServer in
                primaryServer.setDefault(.serverError(503), for: .chatCompletions)
                secondaryServer.setDefault(WireBehavior(.chat(.text("Secondary here."))), for: .chatCompletions)
                let clock = ManualClock()
                let policy = ResiliencePolicy(retry: .none, timeouts: .none)
                let primaryClient = OpenAIClient(
                    configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey(testAPIKey), baseURL: primaryServer.baseURL, providerName: "primary"),
                    httpClient: .shared
                )
                let secondaryClient = OpenAIClient(
                    configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey(testAPIKey), baseURL: secondaryServer.baseURL, providerName: "secondary"),
                    httpClient: .shared
                )
                let primary = ResilientLanguageModel(primaryClient.chatModel, policy: policy, clock: clock)
                let fallback = FallbackLanguageModel([primary, ResilientLanguageModel(secondaryClient.chatModel, policy: policy, clock: clock)])
                let served = NIOLockedValueBox<[String]>([])
                let context = ProviderCallContext(callSID: "CA-fallback", onServed: { descriptor in served.withLockedValue { $0.append(descriptor.name) } })

                for _ in 0..<6 {
                    #expect(text(of: try await fallback.stream(chatRequest, context: context).collect()) == "Secondary here.")
                }
                #expect(primaryServer.requestCount(for: .chatCompletions) == 5, "the sixth request skipped the open primary")
                #expect(primary.circuitBreaker.state == .open)

                primaryServer.setDefault(WireBehavior(.chat(.text("Primary is back."))), for: .chatCompletions)
                clock.advance(by: .seconds(60))
                _ = try await fallback.stream(chatRequest, context: context).collect()
                await fallback.waitForProbes()
                #expect(primaryServer.requestCount(for: .chatCompletions) == 6)
                #expect(primary.circuitBreaker.state == .closed)
                #expect(text(of: try await fallback.stream(chatRequest, context: context).collect()) == "Primary is back.")
                #expect(served.withLockedValue { $0 } == Array(repeating: "secondary", count: 7) + ["primary"])
            }
        }
    }
}
