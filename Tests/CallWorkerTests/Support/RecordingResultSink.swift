import CallEngine
import NIOConcurrencyHelpers

/// A ``ResultSink`` that keeps results in memory and lets a test await them.
final class RecordingResultSink: ResultSink {
    private struct State {
        var results: [CallResult] = []
        var waiters: [(count: Int, continuation: CheckedContinuation<[CallResult], Never>)] = []
    }

    private let state = NIOLockedValueBox(State())

    func deliver(_ result: CallResult) async throws {
        let ready = state.withLockedValue { state -> [(CheckedContinuation<[CallResult], Never>, [CallResult])] in
            state.results.append(result)
            let results = state.results
            var ready: [(CheckedContinuation<[CallResult], Never>, [CallResult])] = []
            state.waiters.removeAll { waiter in
                guard results.count >= waiter.count else { return false }
                ready.append((waiter.continuation, results))
                return true
            }
            return ready
        }
        for (continuation, results) in ready { continuation.resume(returning: results) }
    }

    var results: [CallResult] { state.withLockedValue { $0.results } }

    /// Returns once `count` results have been delivered.
    func waitForResults(_ count: Int) async -> [CallResult] {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> [CallResult]? in
                if state.results.count >= count { return state.results }
                state.waiters.append((count, continuation))
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
