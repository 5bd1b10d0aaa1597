import CallTesting
import Logging
import NIOConcurrencyHelpers
import OpenAIServices
import SpeechServices
import Testing

/// Keeps every log record, for counting lines.
final class LogRecords: Sendable {
    let messages = NIOLockedValueBox<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in RecordingLogHandler(records: self) }
    }

    func count(_ message: String) -> Int {
        messages.withLockedValue { $0.filter { $0 == message }.count }
    }
}

struct RecordingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.messages.withLockedValue { $0.append(event.message.description) }
    }
}

@Suite("Rate limits: backoff, not the shared breaker; warnings rate-limited", .timeLimit(.minutes(2)), .serialized)
struct OpenAIRateLimitTests {
    @Test("40 rate-limited requests do not open the breaker all calls share; five 5xx still do")
    func rateLimitsDoNotOpenBreaker() async throws {
        try await withWireServer { server in
            server.setDefault(.rateLimited(retryAfter: 1), for: .chatCompletions)
            let clock = ManualClock()
            let records = LogRecords()
            let client = OpenAIClient(
                configuration: makeClient(server).configuration, httpClient: .shared, logLimiter: LogRateLimiter(clock: clock)
            )
            let chat = ResilientLanguageModel(
                client.chatModel, policy: ResiliencePolicy(retry: .none, timeouts: .none), clock: clock, logger: records.logger
            )
            let context = ProviderCallContext(callSID: "CA-rate", logger: records.logger)
            for _ in 0..<40 {
                let error = await #expect(throws: ProviderError.self) { try await chat.stream(chatRequest, context: context).collect() }
                #expect(error?.kind == .rateLimited)
            }
            #expect(chat.circuitBreaker.state == .closed)
            #expect(chat.circuitBreaker.consecutiveFailures == 0)
            #expect(server.requestCount(for: .chatCompletions) == 40)
            // 40 identical failures in no time: the burst (5) is logged, the rest counted.
            #expect(records.count("provider request failed") == 5)
            #expect(records.count("openai request failed") == 5)

            server.setDefault(.serverError(503), for: .chatCompletions)
            for _ in 0..<5 {
                let error = await #expect(throws: ProviderError.self) { try await chat.stream(chatRequest, context: context).collect() }
                #expect(error?.kind == .server)
            }
            #expect(chat.circuitBreaker.state == .open)
            let rejected = await #expect(throws: ProviderError.self) { try await chat.stream(chatRequest, context: context).collect() }
            #expect(rejected?.kind == .circuitOpen)
            #expect(server.requestCount(for: .chatCompletions) == 45)
        }
    }

    @Test("a 429 is retried after its (clamped) retry-after and then succeeds")
    func rateLimitBackoff() async throws {
        try await withWireServer { server in
            server.enqueue(.rateLimited(retryAfter: 3), .rateLimited(retryAfterValue: "nan"), for: .chatCompletions)
            let clock = ManualClock()
            let chat = ResilientLanguageModel(
                makeClient(server).chatModel, policy: ResiliencePolicy(retry: RetryPolicy(maxAttempts: 3, random: { 0 }), timeouts: .none), clock: clock
            )
            let task = Task { try await chat.stream(chatRequest, context: callContext).collect() }
            await clock.waitForSleepers(count: 1)
            #expect(clock.nextDeadline == .seconds(3))
            clock.advance(by: .seconds(3))
            // `nan` is ignored: the computed backoff (0.5 s doubled for the second retry) applies.
            await clock.waitForSleepers(count: 1)
            #expect(clock.nextDeadline == .seconds(4))
            clock.advance(by: .seconds(1))
            let events = try await task.value
            #expect(text(of: events) == "Sure. What time would you like?")
            #expect(chat.circuitBreaker.consecutiveFailures == 0)
        }
    }
}
