/// A one-shot signal a test fires to let a scripted ``WireBehavior`` go on.
///
/// Bytes a server wrote just before it resets a connection can be lost in transit: the
/// kernel drops unread data when the reset arrives. A test that needs the client to have
/// *seen* the first parts before the reset (to prove a partial answer is not retried)
/// fires the signal after it received them, and the server resets only then:
///
/// ```swift
/// let received = WireSignal()
/// server.enqueue(.resetMidStream(afterParts: 3, when: received), for: .chatCompletions)
/// for try await event in stream {
///     …
///     if text == "Sure. What " { received.fire() }
/// }
/// ```
///
/// A server shutting down releases every response still waiting for a signal.
public final class WireSignal: Sendable {
    private let gate = StallGate()

    /// Creates an unfired signal.
    public init() {}

    /// Fires the signal; waiting responses go on, and later waits return at once.
    public func fire() {
        gate.releaseAll()
    }

    /// Suspends until the signal fires (at once if it has) or the task is cancelled.
    public func wait() async {
        await gate.wait()
    }

    /// Suspends until the signal fires, `other` is released, or the task is cancelled.
    func wait(orUntil other: StallGate) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.gate.wait() }
            group.addTask { await other.wait() }
            await group.next()
            group.cancelAll()
        }
    }
}
