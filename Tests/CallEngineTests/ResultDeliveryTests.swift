import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import CallEngine

/// A webhook receiver on 127.0.0.1 that can be switched down (503) and up (200), and
/// records every result it accepted.
final class WebhookReceiver: Sendable {
    let up = Mutex(false)
    let received = Mutex<[String]>([])
    let attempts = Mutex(0)

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/results") { request, context -> HTTPResponse.Status in
            self.attempts.withLock { $0 += 1 }
            guard self.up.withLock({ $0 }) else { return .serviceUnavailable }
            let body = try await request.body.collect(upTo: 1 << 20)
            let result = try CallResult.decode(Data(buffer: body))
            self.received.withLock { $0.append(result.identity.callID) }
            return .ok
        }
        return router
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

@Suite("Post-call results", .timeLimit(.minutes(2)))
struct ResultDeliveryTests {
    static func result(_ id: String) -> CallResult {
        CallResult(
            identity: CallIdentity(callID: id, streamID: "MZ1", botID: "bot"), startedAt: Date(), endedAt: Date(),
            endReason: .callerHungUp,
            transcript: [.caller(CallerTurn(text: "Hello", speechStart: .zero, speechEnd: .seconds(1)))],
            lead: ["name": "Ada"], turns: [], usage: CallUsage(), estimatedCost: 0.01, errors: [], providers: [:], phases: []
        )
    }

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
    }

    @Test("the file spool writes one durable JSON file per call and reads it back")
    func spool() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spool = try FileSpoolResultSink(directory: directory)
        try await spool.deliver(Self.result("CA1"))
        try await spool.deliver(Self.result("CA/../2"))
        try await spool.deliver(Self.result("CA1"))
        let pending = try spool.pending()
        #expect(Set(pending.map(\.result.identity.callID)) == ["CA1", "CA/../2"])
        #expect(pending.allSatisfy { $0.url.path.hasPrefix(directory.path) && !$0.url.lastPathComponent.contains("/") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["CA1.json", "CA____2.json"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test("webhook down for the whole call: spooled; back up: delivered exactly once and removed")
    func webhookDownThenUp() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = WebhookReceiver()
        try await receiver.serve { base in
            let spool = try FileSpoolResultSink(directory: directory)
            let sink = WebhookResultSink(url: base + "/results", spool: spool, attempts: 2, initialBackoff: .milliseconds(1))
            try await sink.deliver(Self.result("CA-down"))
            #expect(receiver.attempts.withLock { $0 } == 2)
            #expect(receiver.received.withLock { $0 }.isEmpty)
            #expect(try spool.pending().map(\.result.identity.callID) == ["CA-down"])

            receiver.up.withLock { $0 = true }
            #expect(await sink.redeliverSpooled() == 1)
            #expect(await sink.redeliverSpooled() == 0)
            #expect(receiver.received.withLock { $0 } == ["CA-down"])
            #expect(try spool.pending().isEmpty)

            // With the webhook up, a new result goes straight through.
            try await sink.deliver(Self.result("CA-up"))
            #expect(receiver.received.withLock { $0 } == ["CA-down", "CA-up"])
            #expect(try spool.pending().isEmpty)
        }
    }
}
