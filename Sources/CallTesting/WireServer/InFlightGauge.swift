import Synchronization

/// Counts the wire server's requests in flight (from the handler's start until the response
/// body is written or dropped), keeps the peak, and lets a scripted response wait until a
/// given number of requests are in flight at once.
final class InFlightGauge: Sendable {
    private struct State {
        var current = 0
        var peak = 0
        var nextID = 0
        var waiters: [Int: (threshold: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    }

    private let state = Mutex(State())

    /// Requests in flight now.
    var current: Int { state.withLock { $0.current } }
    /// Most requests in flight at once since the start or the last ``resetPeak()``.
    var peak: Int { state.withLock { $0.peak } }

    /// Sets the peak to the current count.
    func resetPeak() {
        state.withLock { $0.peak = $0.current }
    }

    /// One more request in flight; wakes waiters whose threshold is now reached.
    func enter() {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.current += 1
            state.peak = max(state.peak, state.current)
            let due = state.waiters.filter { $0.value.threshold <= state.current }
            for id in due.keys { state.waiters.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// One request fewer in flight.
    func leave() {
        state.withLock { $0.current -= 1 }
    }

    /// Suspends until at least `threshold` requests are in flight, or the task is cancelled.
    func wait(untilAtLeast threshold: Int) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.current >= threshold || Task.isCancelled { return true }
                    state.waiters[id] = (threshold, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    /// A token for one request in flight: ``release()`` (or dropping it) leaves the gauge once.
    final class Token: Sendable {
        private let gauge: InFlightGauge
        private let released = Mutex(false)

        init(gauge: InFlightGauge) {
            self.gauge = gauge
            gauge.enter()
        }

        func release() {
            let first = released.withLock { released -> Bool in
                defer { released = true }
                return !released
            }
            if first { gauge.leave() }
        }

        deinit { release() }
    }
}
