import NIOConcurrencyHelpers

/// Holds stalled responses until released (at server shutdown) or cancelled.
final class StallGate: Sendable {
    private struct State {
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var released = false
    }

    private let state = NIOLockedValueBox(State())

    /// Suspends until ``releaseAll()`` or task cancellation.
    func wait() async {
        let id = state.withLockedValue { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.released || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Sleeps for `duration`; throws `CancellationError` if the gate is released first
    /// (server shutdown), so scripted delays never hold a shutdown up.
    func pause(_ duration: Duration) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await Task.sleep(for: duration)
                return true
            }
            group.addTask {
                await self.wait()
                return false
            }
            let slept = try await group.next() ?? false
            group.cancelAll()
            if !slept { throw CancellationError() }
        }
    }

    /// Whether ``releaseAll()`` was called (the server is shutting down).
    var isReleased: Bool { state.withLockedValue { $0.released } }

    /// Releases every current and future waiter.
    func releaseAll() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.released = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
