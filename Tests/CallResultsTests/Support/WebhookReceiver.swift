import CallEngine
import CallResults
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A webhook receiver on 127.0.0.1 that can be switched down (503) and up (200), rejects
/// chosen calls with 422, verifies every signature with ``ResultSignature/verify``, and records
/// every result it accepted.
final class WebhookReceiver: Sendable {
    let up = NIOLockedValueBox(false)
    let rejected = NIOLockedValueBox<Set<String>>([])
    let received = NIOLockedValueBox<[String]>([])
    let idempotencyKeys = NIOLockedValueBox<[String]>([])
    let attempts = NIOLockedValueBox(0)
    let badSignatures = NIOLockedValueBox(0)
    let secret: String?

    init(secret: String? = "whsec_receiver") {
        self.secret = secret
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/results") { request, context -> HTTPResponse.Status in
            self.attempts.withLockedValue { $0 += 1 }
            guard self.up.withLockedValue({ $0 }) else { return .serviceUnavailable }
            let body = try await request.body.collect(upTo: 1 << 20)
            let bytes = Array(buffer: body)
            if let secret = self.secret {
                do {
                    try ResultSignature.verify(header: Self.header("X-Call-Signature", in: request), body: bytes, secret: secret)
                } catch {
                    self.badSignatures.withLockedValue { $0 += 1 }
                    return .unauthorized
                }
            }
            let result = try CallResult.decode(Data(bytes))
            if self.rejected.withLockedValue({ $0.contains(result.identity.callID) }) { return .unprocessableContent }
            self.received.withLockedValue { $0.append(result.identity.callID) }
            if let key = Self.header("Idempotency-Key", in: request) { self.idempotencyKeys.withLockedValue { $0.append(key) } }
            return .ok
        }
        return router
    }

    static func header(_ name: String, in request: Request) -> String? {
        request.headers.first { $0.name.rawName.lowercased() == name.lowercased() }?.value
    }

    /// Runs the receiver for the duration of `body`, passing its base URL.
    func serve(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: Logger(label: "webhook-receiver")
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = portStream.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { Task { await group.triggerGracefulShutdown() } }
            try await body("http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
