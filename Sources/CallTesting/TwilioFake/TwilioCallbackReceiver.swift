import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import TwilioREST

/// A local receiver of Twilio status and AMD callbacks (Hummingbird, 127.0.0.1, port 0):
/// every POST is verified with ``TwilioCallbackVerifier`` against the public URL it was sent
/// to (`https://<publicHost><path?query>`), accepted ones are recorded as
/// ``TwilioCallStatusEvent``s (answered 204), refused ones are counted (answered 403 or 400).
/// Route `publicHost` to ``port`` on a ``TwilioFake``.
public final class TwilioCallbackReceiver: Sendable {
    private struct State {
        var events: [TwilioCallStatusEvent] = []
        var refusals: [TwilioCallbackError] = []
        var waiters: [Int: (predicate: @Sendable ([TwilioCallStatusEvent]) -> Bool, continuation: CheckedContinuation<[TwilioCallStatusEvent], Never>)] = [:]
        var nextWaiter = 0
        var port: Int?
        var task: Task<Void, any Error>?
        var group: ServiceGroup?
    }

    /// The host the callbacks' public URLs name (e.g. `hooks.example`).
    public let publicHost: String
    private let verifier: TwilioCallbackVerifier
    private let state = NIOLockedValueBox(State())

    /// Creates a stopped receiver for the account's auth token.
    public init(publicHost: String = "hooks.example", authToken: String) {
        self.publicHost = publicHost
        verifier = TwilioCallbackVerifier(authToken: authToken)
    }

    /// The port, once started.
    public var port: Int? { state.withLockedValue { $0.port } }
    /// `https://<publicHost>`: prefix of callback URLs.
    public var publicBaseURL: String { "https://\(publicHost)" }
    /// Accepted callbacks, in arrival order.
    public var events: [TwilioCallStatusEvent] { state.withLockedValue { $0.events } }
    /// Refused callbacks, in arrival order.
    public var refusals: [TwilioCallbackError] { state.withLockedValue { $0.refusals } }

    /// Returns the events once `predicate` holds for them.
    public func wait(until predicate: @escaping @Sendable ([TwilioCallStatusEvent]) -> Bool) async -> [TwilioCallStatusEvent] {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { state -> [TwilioCallStatusEvent]? in
                if predicate(state.events) { return state.events }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = (predicate, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Starts listening and returns the port.
    @discardableResult
    public func start() async throws -> Int {
        let router = Router(context: BasicRequestContext.self)
        router.post("**") { [self] request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 128 * 1024))
            let url = publicBaseURL + request.uri.description
            do throws(TwilioCallbackError) {
                let event = try verifier.event(url: url, signature: request.headers[TwilioFake.signatureField], body: body)
                record(event)
                return Response(status: .noContent)
            } catch {
                state.withLockedValue { $0.refusals.append(error) }
                return Response(status: error == .unsigned || error == .forged ? .forbidden : .badRequest)
            }
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int?.self)
        let logger = Logger(label: "call-testing.twilio-callbacks")
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port)
                portContinuation.finish()
            }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let reported = await iterator.next(), let port = reported else {
            task.cancel()
            throw TwilioFake.FakeError.failedToStart
        }
        state.withLockedValue {
            $0.port = port
            $0.task = task
            $0.group = group
        }
        return port
    }

    /// Stops the server.
    public func shutdown() async {
        let (task, group) = state.withLockedValue { ($0.task, $0.group) }
        await group?.triggerGracefulShutdown()
        _ = await task?.result
    }

    private func record(_ event: TwilioCallStatusEvent) {
        let ready = state.withLockedValue { state -> [(CheckedContinuation<[TwilioCallStatusEvent], Never>, [TwilioCallStatusEvent])] in
            state.events.append(event)
            var ready: [(CheckedContinuation<[TwilioCallStatusEvent], Never>, [TwilioCallStatusEvent])] = []
            for (id, waiter) in state.waiters where waiter.predicate(state.events) {
                ready.append((waiter.continuation, state.events))
                state.waiters[id] = nil
            }
            return ready
        }
        for (continuation, events) in ready { continuation.resume(returning: events) }
    }
}
