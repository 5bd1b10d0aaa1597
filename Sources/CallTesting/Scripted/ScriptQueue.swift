import Synchronization

/// A thread-safe queue of scripted responses with a default for when it runs dry,
/// plus a log of the requests that consumed them.
final class ScriptQueue<Response: Sendable, Request: Sendable>: Sendable {
    private struct State {
        var queue: [Response] = []
        var fallback: Response
        var requests: [Request] = []
    }

    private let state: Mutex<State>

    init(default response: Response) {
        state = Mutex(State(fallback: response))
    }

    func enqueue(_ responses: [Response]) {
        state.withLock { $0.queue.append(contentsOf: responses) }
    }

    func setDefault(_ response: Response) {
        state.withLock { $0.fallback = response }
    }

    func next(for request: Request) -> Response {
        state.withLock { state in
            state.requests.append(request)
            return state.queue.isEmpty ? state.fallback : state.queue.removeFirst()
        }
    }

    var requests: [Request] { state.withLock { $0.requests } }
}
