/// A one-shot cancellation signal for one turn's task, set by the conversation actor.
///
/// `wait()` returns when `fire()` is called or the waiting task is cancelled.
struct TurnSignal: Sendable {
    private let stream: AsyncStream<Never>
    private let continuation: AsyncStream<Never>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Never.self)
    }

    func fire() {
        continuation.finish()
    }

    func wait() async {
        for await _ in stream {}
    }
}
