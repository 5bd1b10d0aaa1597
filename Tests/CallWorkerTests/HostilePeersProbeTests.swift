import CallEngine
import CallTesting
import CallWorker
import Foundation
import NIOCore
import Testing
import TwilioMediaStreams

/// The hostile-peer probe of issue 13: slow-header connections and aborted upgrades while a
/// signed call is admitted, on one in-process worker with the production defaults for the
/// connection cap. Prints its figures. CI runs a small version; `scripts/hostile-peers.sh`
/// runs 2,000 slow-header connections + 1,000 aborted upgrades (`HOSTILE_PEERS_SCALE=10`).
@Suite(.timeLimit(.minutes(2)))
struct HostilePeersProbeTests {
    static var scale: Int { ProcessInfo.processInfo.environment["HOSTILE_PEERS_SCALE"].flatMap(Int.init).map { max(1, $0) } ?? 1 }

    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kb / 1024
    }

    @Test func slowHeadersAndAbortedUpgradesWhileASignedCallIsAdmitted() async throws {
        let slowCount = 200 * Self.scale
        let abortedCount = 100 * Self.scale
        // Long enough at scale that every slow connection is open at once (the cap evicts).
        let headerSeconds = Self.scale == 1 ? 3 : 25
        let security = ServerHardeningTests.security { $0.headerTimeout = .seconds(headerSeconds) }
        let harness = WorkerHarness(
            maximumConcurrentCalls: 4, twilioAuthToken: StreamFlowTests.token, publicHost: StreamFlowTests.publicHost, security: security)
        let rssBefore = Self.residentMegabytes()
        let figures = try await harness.run { port -> [String] in
            let began = ContinuousClock.now
            // 1. Aborted upgrades: a signed upgrade request, then the client closes at once.
            let upgrade = RawHTTP.upgrade("/ws/demo", host: StreamFlowTests.publicHost, headers: [
                ("X-Twilio-Signature", StreamFlowTests.validator.signature(url: "wss://\(StreamFlowTests.publicHost)/ws/demo")),
            ])
            for batch in stride(from: 0, to: abortedCount, by: 100) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in batch..<min(batch + 100, abortedCount) {
                        group.addTask {
                            let channel = try await RawHTTP.open(port: port)
                            try? await channel.executeThenClose { _, outbound in try await outbound.write(ByteBuffer(string: upgrade)) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // 2. Slow-header connections: half a head each, held open (past the cap at scale 10).
            var slow: [HeldConnection] = []
            for batch in stride(from: 0, to: slowCount, by: 100) {
                try await withThrowingTaskGroup(of: HeldConnection.self) { group in
                    for _ in batch..<min(batch + 100, slowCount) {
                        group.addTask { try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ") }
                    }
                    for try await connection in group { slow.append(connection) }
                }
            }
            let flooded = ContinuousClock.now - began
            // 3. A signed call now, with every slow connection still open: admitted, greeted.
            let callStart = ContinuousClock.now
            let call = try await ServerHardeningTests.startCall(port: port, callSid: TestSID.call(9001))
            let greetedAfter = ContinuousClock.now - callStart
            #expect(call.greeted)
            // 4. Every slow-header connection is closed (evicted or timed out).
            var unanswered = 0
            for connection in slow {
                if try await connection.closed.value.isEmpty { unanswered += 1 }
            }
            let allClosedAfter = ContinuousClock.now - began
            call.finish()
            #expect(try await call.done.value)
            _ = await harness.sink.waitForResults(1)
            let ready = try await RawHTTP.exchange(port: port, RawHTTP.get("/health/ready", host: "x"))
            let counters = harness.server.connections.counters
            #expect(unanswered == slowCount)
            #expect(counters.headerTimeouts + counters.evicted >= slowCount)
            #expect(ready.status == 200)
            #expect(harness.server.registry.activeCount == 0)
            return [
                "slow-header connections: \(slowCount) opened, \(unanswered) closed unanswered "
                    + "(\(counters.evicted) evicted at the cap of \(security.maximumConnections), \(counters.headerTimeouts) header timeouts of \(headerSeconds) s)",
                "aborted upgrades: \(abortedCount) sent; \(counters.abortedUpgrades) had reserved a slot and gave it back at once",
                "flood sent in \(flooded); signed call admitted and greeted after \(greetedAfter); every slow connection closed by \(allClosedAfter)",
                "connections: \(counters.admitted) admitted, \(counters.refused) refused, \(counters.open) open at the end",
                "after: /health/ready \(ready.status), active calls \(harness.server.registry.activeCount), results \(harness.sink.results.count) (\(harness.sink.results.map(\.endReason.rawValue).joined(separator: ",")))",
            ]
        }
        let rssAfter = Self.residentMegabytes()
        print("HOSTILE-PEERS scale \(Self.scale)")
        for line in figures { print("HOSTILE-PEERS " + line) }
        print("HOSTILE-PEERS rss: \(Int(rssBefore)) MB before, \(Int(rssAfter)) MB after (test process, worker in process); crashes: 0")
    }
}
