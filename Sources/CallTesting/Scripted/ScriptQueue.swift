import NIOConcurrencyHelpers

/// A thread-safe queue of scripted responses with a default for when it runs dry,
/// plus a log of the requests that consumed them.
final class ScriptQueue<Response: Sendable, Request: Sendable>: Sendable {
    private struct State {
        var queue: [Response] = []
        var fallback: Response
        var requests: [Request] = []
    }

    private let state: NIOLockedValueBox<State>

    init(default response: Response) {
        state = NIOLockedValueBox(State(fallback: response))
    }

    func enqueue(_ responses: [Response]) {
        state.withLockedValue { $0.queue.append(contentsOf: responses) }
    }

    func setDefault(_ response: Response) {
        state.withLockedValue { $0.fallback = response }
    }

    func next(for request: Request) -> Response {
        state.withLockedValue { state in
            state.requests.append(request)
            return state.queue.isEmpty ? state.fallback : state.queue.removeFirst()
        }
    }

    var requests: [Request] { state.withLockedValue { $0.requests } }
}
