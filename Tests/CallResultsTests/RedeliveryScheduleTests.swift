import CallResults
import Testing

@Suite("Redelivery backoff")
struct RedeliveryScheduleTests {
    /// A generator that always returns the same value (for exact jitter bounds).
    struct FixedGenerator: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test("the backoff doubles per failure up to the cap")
    func exponential() {
        let policy = RedeliveryPolicy(initialBackoff: .seconds(5), maximumBackoff: .seconds(300), jitter: 0.5)
        #expect((1...9).map { policy.backoff(afterFailures: $0) } == [5, 10, 20, 40, 80, 160, 300, 300, 300].map { Duration.seconds($0) })
    }

    @Test("jitter keeps each wait within [backoff * (1 - jitter), backoff]")
    func jitterBounds() {
        let policy = RedeliveryPolicy(initialBackoff: .seconds(8), maximumBackoff: .seconds(300), jitter: 0.5)
        var low = FixedGenerator(value: 0)
        var high = FixedGenerator(value: .max)
        #expect(policy.delay(afterFailures: 1, using: &low) == .seconds(8))
        let shortest = policy.delay(afterFailures: 1, using: &high)
        #expect(shortest >= .seconds(4) && shortest < .milliseconds(4100))
        var system = SystemRandomNumberGenerator()
        let delays = (0..<200).map { _ in policy.delay(afterFailures: 2, using: &system) }
        #expect(delays.allSatisfy { $0 >= .seconds(8) && $0 <= .seconds(16) })
        #expect(Set(delays).count > 1)
    }

    @Test("each entry backs off on its own; a new or forgotten entry is due at once")
    func independentEntries() {
        var schedule = RedeliverySchedule(policy: RedeliveryPolicy(initialBackoff: .seconds(5), jitter: 0))
        var generator = SystemRandomNumberGenerator()
        let start = ContinuousClock.now
        for _ in 0..<5 { schedule.recordFailure("poison.json", at: start, using: &generator) }
        #expect(schedule.record(for: "poison.json")?.failures == 5)
        #expect(!schedule.isDue("poison.json", at: start + .seconds(79)))
        #expect(schedule.isDue("poison.json", at: start + .seconds(80)))
        #expect(schedule.isDue("other.json", at: start))
        schedule.recordFailure("other.json", at: start, using: &generator)
        #expect(schedule.isDue("other.json", at: start + .seconds(5)))
        schedule.retain(only: ["other.json"])
        #expect(schedule.record(for: "poison.json") == nil)
        schedule.forget("other.json")
        #expect(schedule.backingOffCount == 0)
    }
}
