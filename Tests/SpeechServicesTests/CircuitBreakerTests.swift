import CallTesting
import NIOConcurrencyHelpers
import SpeechServices
import Testing

@Suite("Circuit breaker", .timeLimit(.minutes(2)))
struct CircuitBreakerTests {
    let descriptor = ProviderDescriptor(name: "p", model: "m")

    @Test("opens after five consecutive provider failures and rejects while open")
    func opensAfterThreshold() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(descriptor: descriptor, clock: clock)
        for _ in 0..<4 {
            #expect(breaker.acquire() == .allowed)
            breaker.recordFailure(.server)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.acquire() == .allowed)
        breaker.recordFailure(.timeout(.firstByte))
        #expect(breaker.state == .open)
        #expect(breaker.acquire() == .rejected)
        clock.advance(by: .seconds(59))
        #expect(breaker.acquire() == .rejected)
    }

    @Test("cancellation, invalid requests and rate limits do not count; a success resets the count")
    func onlyProviderFailuresCount() {
        let breaker = CircuitBreaker(descriptor: descriptor, clock: ManualClock())
        for _ in 0..<10 {
            breaker.recordFailure(.cancelled)
            breaker.recordFailure(.invalidRequest)
            breaker.recordFailure(.inputTooLarge)
        }
        #expect(breaker.state == .closed)
        for _ in 0..<4 { breaker.recordFailure(.connection) }
        breaker.recordSuccess()
        for _ in 0..<4 { breaker.recordFailure(.server) }
        #expect(breaker.consecutiveFailures == 4)
        // Rate limits are answered with backoff and never count: one busy call must not
        // open the breaker every call shares.
        for _ in 0..<100 { breaker.recordFailure(.rateLimited) }
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 4)
    }

    @Test("half-open admits a single probe; success closes, failure re-opens for another period")
    func halfOpenProbe() {
        let clock = ManualClock()
        let changes = NIOLockedValueBox<[CircuitBreaker.State]>([])
        let breaker = CircuitBreaker(
            descriptor: descriptor, configuration: CircuitBreakerConfiguration(failureThreshold: 2, openDuration: .seconds(60)),
            clock: clock, onStateChange: { state in changes.withLockedValue { $0.append(state) } }
        )
        breaker.recordFailure(.server)
        breaker.recordFailure(.server)
        clock.advance(by: .seconds(60))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire() == .probe)
        #expect(breaker.acquire() == .rejected)
        breaker.recordFailure(.server)
        #expect(breaker.state == .open)
        #expect(breaker.acquire() == .rejected)
        clock.advance(by: .seconds(60))
        #expect(breaker.acquire() == .probe)
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.acquire() == .allowed)
        #expect(changes.withLockedValue { $0 } == [.open, .halfOpen, .open, .halfOpen, .closed])
    }

    @Test("a cancelled probe frees the probe slot without closing the circuit")
    func cancelledProbe() {
        let clock = ManualClock()
        let breaker = CircuitBreaker(descriptor: descriptor, configuration: CircuitBreakerConfiguration(failureThreshold: 1), clock: clock)
        breaker.recordFailure(.server)
        clock.advance(by: .seconds(60))
        #expect(breaker.acquire() == .probe)
        breaker.recordFailure(.cancelled)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.acquire() == .probe)
    }
}
