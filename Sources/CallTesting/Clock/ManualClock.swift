import NIOConcurrencyHelpers
import SpeechServices

/// A ``ResilienceClock`` that only moves when a test calls ``advance(by:)``.
///
/// Sleepers are resumed in deadline order as soon as the clock reaches their deadline, so
/// breaker open periods, backoff delays and timeouts can be tested without real waiting.
/// ``waitForSleepers(count:)`` lets a test wait until code under test is actually sleeping.
public final class ManualClock: ResilienceClock {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var isSatisfied: @Sendable ([Duration]) -> Bool
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now: Duration = .zero
        var nextID: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        var cancelled: Set<UInt64> = []
        var waiters: [Waiter] = []
        var totalSleeps = 0
    }

    private let state = NIOLockedValueBox(State())

    /// Creates a clock at time zero.
    public init() {}

    /// The current manual time.
    public func now() -> Duration {
        state.withLockedValue { $0.now }
    }

    /// Number of tasks currently sleeping on this clock.
    public var sleeperCount: Int {
        state.withLockedValue { $0.sleepers.count }
    }

    /// Number of sleeps ever started that had to wait (deadline in the future).
    public var totalSleeps: Int {
        state.withLockedValue { $0.totalSleeps }
    }

    /// The earliest deadline of a current sleeper.
    public var nextDeadline: Duration? {
        state.withLockedValue { $0.sleepers.values.map(\.deadline).min() }
    }

    /// Suspends until the clock is advanced to `deadline`, or throws `CancellationError`.
    public func sleep(until deadline: Duration) async throws {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (outcome, readyWaiters) = state.withLockedValue { state -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    if state.cancelled.remove(id) != nil { return (.failure(CancellationError()), []) }
                    if deadline <= state.now { return (.success(()), []) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    state.totalSleeps += 1
                    return (nil, Self.takeReadyWaiters(&state))
                }
                for waiter in readyWaiters { waiter.resume() }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let (sleeper, readyWaiters) = state.withLockedValue { state -> (Sleeper?, [CheckedContinuation<Void, Never>]) in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return (sleeper, Self.takeReadyWaiters(&state)) }
                state.cancelled.insert(id)
                return (nil, [])
            }
            sleeper?.continuation.resume(throwing: CancellationError())
            for waiter in readyWaiters { waiter.resume() }
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has been reached.
    public func advance(by duration: Duration) {
        let (due, readyWaiters) = state.withLockedValue { state -> ([Sleeper], [CheckedContinuation<Void, Never>]) in
            state.now += duration
            let now = state.now
            let dueIDs = state.sleepers.filter { $0.value.deadline <= now }.sorted { $0.value.deadline < $1.value.deadline }.map(\.key)
            let due = dueIDs.compactMap { state.sleepers.removeValue(forKey: $0) }
            return (due, Self.takeReadyWaiters(&state))
        }
        for sleeper in due { sleeper.continuation.resume() }
        for waiter in readyWaiters { waiter.resume() }
    }

    /// Advances exactly to the earliest sleeper's deadline (if any) and wakes it.
    public func advanceToNextDeadline() {
        guard let deadline = nextDeadline else { return }
        advance(by: max(.zero, deadline - now()))
    }

    /// Returns once at least `count` tasks are sleeping on this clock.
    public func waitForSleepers(count: Int = 1) async {
        await waitUntilSleepers { $0.count >= count }
    }

    /// Returns once some task sleeps until exactly `deadline` (absolute clock time).
    public func waitForSleeper(until deadline: Duration) async {
        await waitUntilSleepers { $0.contains(deadline) }
    }

    /// Returns once `condition` holds for the deadlines of the current sleepers. The
    /// condition is checked whenever a sleep starts, ends or is cancelled.
    public func waitUntilSleepers(_ condition: @escaping @Sendable ([Duration]) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLockedValue { state -> Bool in
                if condition(state.sleepers.values.map(\.deadline)) { return true }
                state.waiters.append(Waiter(isSatisfied: condition, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func takeReadyWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.waiters.isEmpty else { return [] }
        let deadlines = state.sleepers.values.map(\.deadline)
        var ready: [CheckedContinuation<Void, Never>] = []
        state.waiters.removeAll { waiter in
            guard waiter.isSatisfied(deadlines) else { return false }
            ready.append(waiter.continuation)
            return true
        }
        return ready
    }
}
