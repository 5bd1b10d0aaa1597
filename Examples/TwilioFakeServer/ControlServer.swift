import CallTesting
import ExampleSupport
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Every call the fake accepts, as ``Placement`` lines to any number of readers (each reader
/// first gets the lines so far).
final class PlacementFeed: Sendable {
    private struct State {
        var sent: [Placement] = []
        var readers: [Int: AsyncStream<Placement>.Continuation] = [:]
        var nextReader = 0
        var finished = false
    }

    private let state = NIOLockedValueBox(State())

    /// The lines so far, then each new one, until ``finish()``.
    func subscribe() -> AsyncStream<Placement> {
        let (stream, continuation) = AsyncStream.makeStream(of: Placement.self)
        let id = state.withLockedValue { state -> Int? in
            for placement in state.sent { continuation.yield(placement) }
            if state.finished { return nil }
            state.nextReader += 1
            state.readers[state.nextReader] = continuation
            return state.nextReader
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLockedValue { _ = $0.readers.removeValue(forKey: id) } }
        return stream
    }

    func publish(_ placement: Placement) {
        let readers = state.withLockedValue { state -> [AsyncStream<Placement>.Continuation] in
            state.sent.append(placement)
            return Array(state.readers.values)
        }
        for reader in readers { reader.yield(placement) }
    }

    func finish() {
        let readers = state.withLockedValue { state -> [AsyncStream<Placement>.Continuation] in
            state.finished = true
            defer { state.readers = [:] }
            return Array(state.readers.values)
        }
        for reader in readers { reader.finish() }
    }

    /// Follows the fake's calls and publishes each new one (runs until the process ends: the
    /// fake's waiter cannot be cancelled, and the feed is finished at shutdown instead).
    func follow(_ fake: TwilioFake) {
        Task.detached { [self] in
            var seen = 0
            while true {
                let known = seen
                let calls = await fake.wait { $0.count > known }
                let live = fake.liveCallCount
                for index in known..<calls.count {
                    let call = calls[index]
                    publish(Placement(index: index, sid: call.sid, to: call.to, atMs: FakeStats.ms(call.createdAt), live: live))
                }
                seen = calls.count
            }
        }
    }
}

/// The fake's control side on a port of its own (the REST port is Twilio's wire only):
///
/// | route | what |
/// |---|---|
/// | `GET /health` | `ok` |
/// | `GET /stats` | ``FakeStats`` JSON |
/// | `GET /placements` | one ``Placement`` JSON line per accepted call, streamed as they happen |
/// | `POST /routes?host=H&port=P` | requests for host `H` go to `127.0.0.1:P` |
/// | `POST /rate-limit?count=N&retry_after=S` | the next `N` REST requests get 429 (code 20429) |
struct ControlServer: Sendable {
    let fake: TwilioFake
    let feed: PlacementFeed
    let logger: Logger

    func makeApplication(host: String, port: Int, onRunning: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        let fake = self.fake
        let feed = self.feed
        router.get("/health") { _, _ in "ok\n" }
        router.get("/stats") { _, _ -> Response in
            let data = try JSONEncoder().encode(FakeStats(fake: fake))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/placements") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody { writer in
                let encoder = JSONEncoder()
                for await placement in feed.subscribe() {
                    var line = try encoder.encode(placement)
                    line.append(UInt8(ascii: "\n"))
                    try await writer.write(ByteBuffer(bytes: line))
                }
                try await writer.finish(nil)
            })
        }
        router.post("/routes") { request, _ -> Response in
            guard let host = request.uri.queryParameters.get("host"), !host.isEmpty,
                  let port = request.uri.queryParameters.get("port").flatMap({ Int($0) }), (1...65_535).contains(port) else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "host and port needed\n")))
            }
            fake.route(host: host, toPort: port)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "routed \(host) to \(port)\n")))
        }
        router.post("/rate-limit") { request, _ -> Response in
            guard let count = request.uri.queryParameters.get("count").flatMap({ Int($0) }), count >= 0 else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "count needed\n")))
            }
            let retryAfter: String? = request.uri.queryParameters.get("retry_after")
            fake.rateLimitNext(count, retryAfter: retryAfter)
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "next \(count) request(s) get 429\n")))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "twilio-fake-control"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
