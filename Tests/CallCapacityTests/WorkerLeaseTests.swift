import CallCapacity
import Foundation
import Testing

/// ``WorkerLease`` with an injected sleep: each "sleep" hands control to the test, which checks
/// the registry, moves the manual clock and lets the next heartbeat happen.
@Suite("Worker lease")
struct WorkerLeaseTests {
    /// A sleep the test steps through: `run()` reports each wait and blocks until released.
    final class Stepper: Sendable {
        let waits: AsyncStream<Duration>
        private let waitsContinuation: AsyncStream<Duration>.Continuation
        let ticks: AsyncStream<Void>
        private let ticksContinuation: AsyncStream<Void>.Continuation

        init() {
            (waits, waitsContinuation) = AsyncStream.makeStream(of: Duration.self)
            (ticks, ticksContinuation) = AsyncStream.makeStream(of: Void.self)
        }

        func sleep(_ duration: Duration) async throws {
            waitsContinuation.yield(duration)
            var iterator = ticks.makeAsyncIterator()
            guard await iterator.next() != nil else { throw CancellationError() }
            try Task.checkCancellation()
        }

        func tick() { ticksContinuation.yield() }
        func finish() { ticksContinuation.finish() }
    }

    @Test func registersHeartbeatsAndReRegisters() async throws {
        let harness = InMemoryHarness()
        let registry = harness.memory
        let registration = RegistryBehaviours.worker("w1", slots: 2, ttl: .seconds(9))
        let stepper = Stepper()
        let lease = WorkerLease(registry: registry, registration: registration, logger: TestDatabase.logger,
                                sleep: { try await stepper.sleep($0) })
        let task = Task { try await lease.run() }
        var waits = stepper.waits.makeAsyncIterator()

        // Registered before the first wait; the interval is a third of the TTL.
        #expect(await waits.next() == .seconds(3))
        let first = try #require(await registry.worker("w1"))
        #expect(first.state == .available)

        // Time passes (less than the TTL), the heartbeat extends the lease.
        harness.clock.advance(by: .seconds(3))
        stepper.tick()
        _ = await waits.next()
        let second = try #require(await registry.worker("w1"))
        #expect(second.leaseExpiresAt == first.leaseExpiresAt.addingTimeInterval(3))

        // The registry forgets the worker: the next tick registers it again.
        await registry.deregister(workerID: "w1")
        stepper.tick()
        _ = await waits.next()
        #expect(try await registry.worker("w1")?.state == .available)

        task.cancel()
        stepper.finish()
        try await task.value
    }
}
