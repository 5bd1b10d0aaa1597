import CallTesting
import SpeechServices
import Testing

@Suite("Log rate limiter and checked network numbers", .timeLimit(.minutes(2)))
struct LogRateLimiterTests {
    @Test("a burst per key, then one line per refill interval, reporting what was dropped")
    func tokenBucket() {
        let clock = ManualClock()
        let limiter = LogRateLimiter(burst: 3, refillInterval: .seconds(1), clock: clock)
        #expect((0..<3).map { _ in limiter.admit("a") } == [0, 0, 0])
        #expect((0..<7).allSatisfy { _ in limiter.admit("a") == nil })
        #expect(limiter.admit("b") == 0)
        clock.advance(by: .milliseconds(999))
        #expect(limiter.admit("a") == nil)
        clock.advance(by: .milliseconds(1))
        #expect(limiter.admit("a") == 8)
        #expect(limiter.admit("a") == nil)
        clock.advance(by: .seconds(3600))
        #expect((0..<3).map { _ in limiter.admit("a") } == [1, 0, 0])
        #expect(limiter.admit("a") == nil)
    }

    @Test("the key table is bounded")
    func boundedKeys() {
        let limiter = LogRateLimiter(burst: 1, maximumKeys: 4, clock: ManualClock())
        for index in 0..<1000 { #expect(limiter.admit("key-\(index)") == 0) }
    }

    @Test("network numbers convert without trapping")
    func networkNumbers() {
        let cap = Duration.seconds(60)
        #expect(NetworkNumber.duration(seconds: 1e20, maximum: cap) == cap)
        #expect(NetworkNumber.duration(seconds: .infinity, maximum: cap) == cap)
        #expect(NetworkNumber.duration(seconds: -.infinity, maximum: cap) == nil)
        #expect(NetworkNumber.duration(seconds: .nan, maximum: cap) == nil)
        #expect(NetworkNumber.duration(seconds: 0, maximum: cap) == nil)
        #expect(NetworkNumber.duration(seconds: 1.5, maximum: cap) == .milliseconds(1500))
        #expect(NetworkNumber.duration(milliseconds: 1e13, maximum: cap) == cap)
        #expect(NetworkNumber.duration(seconds: 1e300, maximum: .seconds(Int64.max)) == .seconds(Int64.max))
        #expect(NetworkNumber.saturatingInt64(1e30) == .max)
        #expect(NetworkNumber.saturatingInt64(-1e30) == .min)
        #expect(NetworkNumber.saturatingInt64(.nan) == 0)
        #expect(NetworkNumber.saturatingInt(.infinity) == .max)
        #expect(NetworkNumber.count(.max, maximum: 10) == 10)
        #expect(NetworkNumber.count(-1, maximum: 10) == 0)
        #expect(NetworkNumber.nonNegative(.nan, maximum: 5) == nil)
        #expect(NetworkNumber.nonNegative(1e308, maximum: 5) == 5)
    }

    @Test("the retry policy never traps on extreme settings")
    func retryPolicyExtremes() {
        let policy = RetryPolicy(maxAttempts: 100, baseDelay: .seconds(Int64.max / 2), multiplier: 1e300, maxDelay: .seconds(Int64.max), random: { 0 })
        let error = ProviderError(.server, provider: "p", message: "")
        #expect(policy.delay(afterAttempt: 50, error: error) != nil)
    }
}
