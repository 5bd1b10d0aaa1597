import CallTesting
import SpeechServices
import Testing

@Suite("Resilient wrapper: retries, partial output, breaker, timeouts", .timeLimit(.minutes(2)))
struct ResilientLanguageModelTests {
    func text(_ events: [LLMEvent]) -> String {
        events.compactMap { event -> String? in
            if case .textDelta(let text) = event { return text }
            return nil
        }.joined()
    }

    let request = ChatRequest(messages: [.user("hi")])
    let context = ProviderCallContext(callSID: "CA-test")

    @Test("a server error is retried after the backoff delay, then succeeds")
    func retriesServerError() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(defaultReply: "Fine, thanks.", clock: clock)
        model.enqueue(.failure(.server))
        let resilient = ResilientLanguageModel(
            model, policy: ResiliencePolicy(retry: RetryPolicy(maxAttempts: 3, random: { 0 }), timeouts: .none), clock: clock
        )
        let task = Task { try await resilient.stream(request, context: context).collect() }
        await clock.waitForSleepers(count: 1)
        #expect(clock.nextDeadline == .milliseconds(500))
        #expect(model.callCount == 1)
        clock.advance(by: .milliseconds(500))
        let events = try await task.value
        #expect(text(events) == "Fine, thanks.")
        #expect(model.callCount == 2)
    }

    @Test("retry-after from the provider sets the delay")
    func honoursRetryAfter() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(.failure(.rateLimited, retryAfter: .seconds(3)))
        let resilient = ResilientLanguageModel(model, policy: ResiliencePolicy(timeouts: .none), clock: clock)
        let task = Task { try await resilient.stream(request, context: context).collect() }
        await clock.waitForSleepers(count: 1)
        #expect(clock.nextDeadline == .seconds(3))
        clock.advance(by: .seconds(3))
        _ = try await task.value
        #expect(model.callCount == 2)
    }

    @Test("non-retryable errors are not retried", arguments: [
        ProviderError.Kind.invalidRequest, .authentication, .quotaExhausted, .malformedResponse,
    ])
    func noRetry(kind: ProviderError.Kind) async {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(.failure(kind))
        let resilient = ResilientLanguageModel(model, policy: ResiliencePolicy(timeouts: .none), clock: clock)
        await #expect(throws: ProviderError.self) { try await resilient.stream(request, context: context).collect() }
        #expect(model.callCount == 1)
        #expect(clock.totalSleeps == 0)
    }

    @Test("a failure after text was handed downstream is never retried")
    func partialOutputNotRetried() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(ScriptedResponse(elements: [.textDelta("Let me check ")], failure: ProviderError(.connection, provider: "x", message: "reset")))
        let resilient = ResilientLanguageModel(model, policy: ResiliencePolicy(timeouts: .none), clock: clock)
        var received: [LLMEvent] = []
        var thrown: ProviderError?
        do {
            for try await event in resilient.stream(request, context: context) { received.append(event) }
        } catch {
            thrown = error
        }
        #expect(received == [.textDelta("Let me check ")])
        #expect(thrown?.kind == .connection)
        #expect(model.callCount == 1)
    }

    @Test("the breaker opens after five failed calls, short-circuits, and recovers via half-open")
    func breakerThroughWrapper() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(defaultReply: "Back again.", clock: clock)
        for _ in 0..<5 { model.enqueue(.failure(.server)) }
        let resilient = ResilientLanguageModel(model, policy: ResiliencePolicy(retry: .none, timeouts: .none), clock: clock)
        for _ in 0..<5 {
            await #expect(throws: ProviderError.self) { try await resilient.stream(request, context: context).collect() }
        }
        #expect(resilient.circuitBreaker.state == .open)
        do {
            _ = try await resilient.stream(request, context: context).collect()
            Issue.record("expected circuitOpen")
        } catch {
            #expect(error.kind == .circuitOpen)
        }
        #expect(model.callCount == 5)
        clock.advance(by: .seconds(60))
        #expect(resilient.circuitBreaker.state == .halfOpen)
        let events = try await resilient.stream(request, context: context).collect()
        #expect(text(events) == "Back again.")
        #expect(model.callCount == 6)
        #expect(resilient.circuitBreaker.state == .closed)
    }

    @Test("first-byte timeout fires when nothing arrives")
    func firstByteTimeout() async {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(ScriptedResponse(elements: [], hangs: true))
        let resilient = ResilientLanguageModel(
            model,
            policy: ResiliencePolicy(retry: .none, timeouts: TimeoutPolicy(firstByte: .seconds(2), stall: .seconds(1), total: .seconds(10))),
            clock: clock
        )
        var iterator = resilient.stream(request, context: context).makeAsyncIterator()
        await clock.waitForSleepers(count: 2)  // the hanging provider and the watchdog
        clock.advance(by: .seconds(2))
        do {
            _ = try await iterator.next()
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout(.firstByte))
        }
    }

    @Test("stall timeout fires between chunks, and is not retried after output")
    func stallTimeout() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(ScriptedResponse(elements: [.textDelta("Hello ")], hangs: true))
        let resilient = ResilientLanguageModel(
            model,
            policy: ResiliencePolicy(retry: RetryPolicy(maxAttempts: 3), timeouts: TimeoutPolicy(firstByte: .seconds(2), stall: .seconds(1), total: .seconds(10))),
            clock: clock
        )
        var iterator = resilient.stream(request, context: context).makeAsyncIterator()
        #expect(try await iterator.next() == .textDelta("Hello "))
        await clock.waitForSleepers(count: 2)
        clock.advance(by: .seconds(2))
        do {
            _ = try await iterator.next()
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout(.stall))
        }
        #expect(model.callCount == 1)
    }

    @Test("the watchdog re-arms at the first chunk: a short stall timeout fires long before the first-byte deadline")
    func stallRearmsAfterFirstChunk() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(ScriptedResponse(elements: [.textDelta("Hi ")], hangs: true))
        let resilient = ResilientLanguageModel(
            model,
            policy: ResiliencePolicy(retry: .none, timeouts: TimeoutPolicy(firstByte: .seconds(30), stall: .seconds(1), total: nil)),
            clock: clock
        )
        var iterator = resilient.stream(request, context: context).makeAsyncIterator()
        #expect(try await iterator.next() == .textDelta("Hi "))
        await clock.waitForSleeper(until: .seconds(1))
        clock.advance(by: .seconds(1))
        do {
            _ = try await iterator.next()
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout(.stall))
        }
        #expect(clock.now() == .seconds(1))
    }

    @Test("total timeout fires before a longer first-byte timeout")
    func totalTimeout() async {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(clock: clock)
        model.enqueue(ScriptedResponse(elements: [], hangs: true))
        let resilient = ResilientLanguageModel(
            model,
            policy: ResiliencePolicy(timeouts: TimeoutPolicy(firstByte: .seconds(5), stall: .seconds(5), total: .seconds(3))),
            clock: clock
        )
        var iterator = resilient.stream(request, context: context).makeAsyncIterator()
        await clock.waitForSleepers(count: 2)
        clock.advance(by: .seconds(3))
        do {
            _ = try await iterator.next()
            Issue.record("expected a timeout")
        } catch {
            #expect(error.kind == .timeout(.total))
        }
        #expect(model.callCount == 1)
    }

    @Test("a first-byte timeout is retried and the retry can succeed")
    func firstByteTimeoutRetried() async throws {
        let clock = ManualClock()
        let model = ScriptedLanguageModel(defaultReply: "Second try.", clock: clock)
        model.enqueue(ScriptedResponse(elements: [], hangs: true))
        let resilient = ResilientLanguageModel(
            model,
            policy: ResiliencePolicy(retry: RetryPolicy(maxAttempts: 2, random: { 0 }), timeouts: TimeoutPolicy(firstByte: .seconds(2), stall: nil, total: nil)),
            clock: clock
        )
        let task = Task { try await resilient.stream(request, context: context).collect() }
        await clock.waitForSleepers(count: 2)
        clock.advance(by: .seconds(2))
        await clock.waitForSleeper(until: .milliseconds(2500))  // the backoff after the timeout
        clock.advance(by: .milliseconds(500))
        let events = try await task.value
        #expect(text(events) == "Second try.")
        #expect(model.callCount == 2)
    }
}
