import CallCapacity
import CallDialler
import CallTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import TwilioREST

/// `--carrier twilio-fake`: the production placer against a local ``TwilioFake`` over HTTP, the
/// fake's signed status callbacks into the dialler's real HTTP receiver.
enum FakeCarrierRun {
    static let publicHost = "dialler.load"

    static func run(
        store: DiallerStore, registry: PostgresCapacityRegistry, campaignIDs: [String], answer: TwilioFakeBehavior.Answer,
        ringTime: Duration, statusEvents: [TwilioCreateCallRequest.StatusEvent], logger: Logger, label: String
    ) async throws {
        let fake = TwilioFake(logger: logger)
        fake.setDefaultBehavior(TwilioFakeBehavior(answer: answer, ringTime: ringTime))
        try await fake.start()
        let rest = TwilioRESTClient(
            credentials: .authToken(accountSID: fake.configuration.accountSID, authToken: fake.configuration.authToken),
            configuration: TwilioRESTConfiguration(baseURL: fake.baseURL), logger: logger)
        let placer = TimedPlacer(TwilioCallPlacer(client: rest, statusEvents: statusEvents))
        let dialler = Dialler(
            store: store, registry: registry, placer: placer, pacer: AccountPacer(defaultRate: 1_000_000, burst: 1000, logger: logger),
            configuration: DiallerConfiguration(publicURL: "https://\(publicHost)", idleInterval: .milliseconds(5), batchSize: 256),
            logger: logger)
        let http = DiallerHTTPServer(dialler: dialler, publicURL: "https://\(publicHost)", twilioAuthToken: fake.configuration.authToken,
                                     resultSecret: "dialler-load-unused", prometheus: nil, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = http.makeApplication(host: "127.0.0.1", port: 0) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let server = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            await fake.shutdown()
            throw TwilioFake.FakeError.failedToStart
        }
        fake.route(host: publicHost, toPort: port)

        let start = ContinuousClock.now
        let runner = Task { await dialler.run() }
        for id in campaignIDs { await dialler.waitUntilFinished(campaignID: id) }
        let elapsed = ContinuousClock.now - start
        let placingSpan = placer.span
        await dialler.beginDrain()
        await runner.value
        // Every call's final callback has been answered by now (the last lead finished on it).
        let calls = fake.calls
        let creates = fake.requests.filter { $0.method == "POST" && $0.path.hasSuffix("/Calls.json") }
        let created = creates.filter { $0.responseStatus == 201 }.count
        let callbacks = calls.flatMap(\.callbacks)
        let accepted = callbacks.filter { $0.responseStatus == 200 }.count
        let ended = calls.filter(\.isEnded).count
        let statistics = await dialler.currentStatistics
        await fake.shutdown()
        await group.triggerGracefulShutdown()
        _ = await server.result

        let latencies = placer.latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
            return latencies[max(0, index)] / .milliseconds(1)
        }
        let seconds = elapsed / .seconds(1)
        let placingSeconds = (placingSpan ?? .zero) / .seconds(1)
        print(String(format: "dialler-load (twilio-fake): %@", label))
        print(String(format: "  calls created at the fake: %d (%d create requests, %d calls recorded, %d ended); placer returned %d, placement errors %d",
                     created, creates.count, calls.count, ended, statistics.placed, statistics.placementErrors.values.reduce(0, +)))
        print(String(format: "  first create -> last create: %.2f s = %.0f calls created/s", placingSeconds, Double(created) / placingSeconds))
        print(String(format: "  start -> every lead final (reserve, create, callbacks, release): %.2f s = %.0f/s (finalized %d)",
                     seconds, Double(created) / seconds, statistics.finalized))
        print(String(format: "  create latency (TwilioCallPlacer over HTTP): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     percentile(0.50), percentile(0.99), latencies.last.map { $0 / .milliseconds(1) } ?? .nan))
        print(String(format: "  status callbacks posted by the fake: %d, answered 200 by the dialler: %d", callbacks.count, accepted))
    }
}

/// Times each `placeCall` of the wrapped placer (successful creates only).
final class TimedPlacer: OutboundCallPlacer {
    private struct State {
        var latencies: [Duration] = []
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }

    private let placer: TwilioCallPlacer
    private let state = NIOLockedValueBox(State())

    init(_ placer: TwilioCallPlacer) { self.placer = placer }

    var latencies: [Duration] { state.withLockedValue { $0.latencies } }

    /// From the first create sent to the last create answered.
    var span: Duration? { state.withLockedValue { state in state.first.flatMap { first in state.last.map { $0 - first } } } }

    func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        let begin = ContinuousClock.now
        state.withLockedValue { $0.first = $0.first ?? begin }
        let placed = try await placer.placeCall(request)
        let end = ContinuousClock.now
        state.withLockedValue { state in
            state.latencies.append(end - begin)
            state.last = end
        }
        return placed
    }
}
