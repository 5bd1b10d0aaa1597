import NIOConcurrencyHelpers

/// Counts the wire server's requests in flight (from the handler's start until the response
/// body is written or dropped), keeps the peak, and lets a scripted response wait until a
/// given number of requests are in flight at once.
final class InFlightGauge: Sendable {
    private struct State {
        var current = 0
        var peak = 0
        var highest = 0
        var nextID = 0
        /// Entries so far; each request is numbered by its entry.
        var sequence = 0
        /// For each count reached, the last entry that reached it.
        var lastReached: [Int: Int] = [:]
        var waiters: [Int: (threshold: Int, continuation: CheckedContinuation<Void, Never>)] = [:]

        /// Whether `threshold` requests were in flight at once at or after entry `since`.
        func reached(_ threshold: Int, since: Int) -> Bool {
            guard threshold <= highest else { return false }
            return (max(1, threshold)...highest).contains { (lastReached[$0] ?? 0) >= since }
        }
    }

    private let state = NIOLockedValueBox(State())

    /// Requests in flight now.
    var current: Int { state.withLockedValue { $0.current } }
    /// Most requests in flight at once since the start or the last ``resetPeak()``.
    var peak: Int { state.withLockedValue { $0.peak } }

    /// Sets the peak to the current count.
    func resetPeak() {
        state.withLockedValue { $0.peak = $0.current }
    }

    /// One more request in flight; wakes waiters whose threshold is now reached. Returns the
    /// request's entry number (for ``wait(untilAtLeast:since:)``).
    func enter() -> Int {
        let (entry, ready) = state.withLockedValue { state -> (Int, [CheckedContinuation<Void, Never>]) in
            state.sequence += 1
            state.current += 1
            state.peak = max(state.peak, state.current)
            state.highest = max(state.highest, state.current)
            state.lastReached[state.current] = state.sequence
            let current = state.current
            let due = state.waiters.filter { $0.value.threshold <= current }
            for id in due.keys { state.waiters.removeValue(forKey: id) }
            return (state.sequence, due.values.map(\.continuation))
        }
        for continuation in ready { continuation.resume() }
        return entry
    }

    /// One request fewer in flight.
    func leave() {
        state.withLockedValue { $0.current -= 1 }
    }

    /// Suspends until at least `threshold` requests are (or were, at or after entry `since`)
    /// in flight at once, or the task is cancelled. A request that completed the count, or
    /// whose companions already finished, does not wait for a count that has passed.
    func wait(untilAtLeast threshold: Int, since: Int) async {
        let id = state.withLockedValue { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.reached(threshold, since: since) || Task.isCancelled { return true }
                    state.waiters[id] = (threshold, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    /// A token for one request in flight: ``release()`` (or dropping it) leaves the gauge once.
    final class Token: Sendable {
        private let gauge: InFlightGauge
        private let released = NIOLockedValueBox(false)
        /// The request's entry number.
        let entry: Int

        init(gauge: InFlightGauge) {
            self.gauge = gauge
            entry = gauge.enter()
        }

        func release() {
            let first = released.withLockedValue { released -> Bool in
                defer { released = true }
                return !released
            }
            if first { gauge.leave() }
        }

        deinit { release() }
    }
}
