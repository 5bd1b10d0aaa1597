import CallEngine
import CallTesting
@testable import CallWorker
import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import Testing
import TwilioMediaStreams

/// The HTTP server against hostile peers: slow headers and idle connections are closed,
/// connections are capped (slow ones evicted first, never a call), and an aborted upgrade
/// gives its call slot back at once.
@Suite(.timeLimit(.minutes(2)))
struct ServerHardeningTests {
    static func security(_ change: (inout WorkerSecurityConfiguration) -> Void) -> WorkerSecurityConfiguration {
        var security = WorkerSecurityConfiguration()
        change(&security)
        return security
    }

    @Test func slowHeadersAndIdleConnectionsAreClosedAfterTheirTimeouts() async throws {
        let harness = WorkerHarness(security: Self.security {
            $0.signatures = .off
            $0.headerTimeout = .milliseconds(200)
            $0.idleTimeout = .milliseconds(200)
        })
        try await harness.run { port in
            // Half a head, then nothing: closed by the server without a response.
            let slow = try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            // Connected, never a byte.
            let silent = try await HeldConnection.open(port: port, sending: "")
            #expect(try await slow.closed.value == "")
            #expect(try await silent.closed.value == "")
            let counters = harness.server.connections.counters
            #expect(counters.headerTimeouts == 2)
            #expect(counters.admitted == 2)
        }
        // A complete request is answered; the keep-alive connection is then closed when idle.
        // (Its own harness: a 200 ms head deadline could also catch a request on a busy machine.)
        let idleHarness = WorkerHarness(security: Self.security {
            $0.signatures = .off
            $0.idleTimeout = .milliseconds(200)
        })
        try await idleHarness.run { port in
            let idle = try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", awaitResponse: true)
            let answered = try await idle.closed.value
            #expect(answered.hasPrefix("HTTP/1.1 200"))
            #expect(answered.contains(#"{"ok":true}"#))
            #expect(idleHarness.server.connections.counters.headerTimeouts == 0)
        }
    }

    /// A signed call over the WebSocket client that runs until `finish` is yielded.
    struct HeldCall {
        let greeted: Bool
        let done: Task<Bool, any Error>
        let finished: Flag

        /// Lets the caller hang up (it streams silence, like Twilio, until then).
        func finish() { finished.set() }
    }

    final class Flag: Sendable {
        private let value = NIOLockedValueBox(false)
        func set() { value.withLockedValue { $0 = true } }
        var isSet: Bool { value.withLockedValue { $0 } }
    }

    static func startCall(port: Int, callSid: String) async throws -> HeldCall {
        // The token the TwiML answer would carry (same key derivation; no extra connection).
        let token = StreamTokenKey(authToken: StreamFlowTests.token).sign(StreamToken(
            callSid: callSid, accountSid: StreamFlowTests.accountSid, botID: "demo", parameters: ["From": "+15550100"],
            expiresAt: Int64(Date().timeIntervalSince1970) + 60))
        let (started, startedContinuation) = AsyncStream.makeStream(of: Bool.self)
        let finished = Flag()
        let done = Task {
            defer { startedContinuation.finish() }
            let heard = NIOLockedValueBox(false)
            _ = try await TwilioWebSocketCaller.call(
                url: "ws://127.0.0.1:\(port)/ws/demo", callSid: callSid, headers: StreamFlowTests.upgradeHeaders,
                parameters: [StreamToken.parameterName: token]
            ) { caller in
                caller.connectedAndStart()
                let greeted = try await caller.waitInSilence(seconds: 20) { $0.echoes.count >= 1 }
                heard.withLockedValue { $0 = greeted }
                startedContinuation.yield(greeted)
                _ = try await caller.play(SyntheticCallerAudio.silence(seconds: 110)) { _ in finished.isSet }
                caller.stop()
            }
            return heard.withLockedValue { $0 }
        }
        var iterator = started.makeAsyncIterator()
        let greeted = await iterator.next() ?? false
        return HeldCall(greeted: greeted, done: done, finished: finished)
    }

    @Test func connectionsAboveTheCapEvictSlowOnesOrAreRefusedWhileSignedCallsAreAdmitted() async throws {
        let harness = WorkerHarness(
            maximumConcurrentCalls: 2, twilioAuthToken: StreamFlowTests.token, publicHost: StreamFlowTests.publicHost,
            security: Self.security {
                $0.maximumConnections = 6
                $0.headerTimeout = .seconds(60)
                $0.idleTimeout = .seconds(60)
            })
        try await harness.run { port in
            // Busy: one signed call and three keep-alive connections past their request.
            let callA = try await Self.startCall(port: port, callSid: TestSID.call(101))
            #expect(callA.greeted)
            var busy: [HeldConnection] = []
            for _ in 0..<3 {
                busy.append(try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", awaitResponse: true))
            }
            // At the cap with two slow heads; four more each evict the oldest slow head.
            // (Which slow heads go first depends on the order the event loops register them,
            // so the test counts closes rather than naming connections.)
            let (evictions, evicted) = AsyncStream.makeStream(of: String.self)
            var slow: [HeldConnection] = []
            for _ in 0..<6 {
                let connection = try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\n")
                slow.append(connection)
                Task { evicted.yield((try? await connection.closed.value) ?? "error") }
            }
            var closes = evictions.makeAsyncIterator()
            for _ in 0..<4 {
                let text = await closes.next()
                #expect(text == "")
            }
            #expect(harness.server.connections.counters.evicted == 4)

            // A signed call arriving now is admitted (it evicts a fifth slow head) and runs.
            let callB = try await Self.startCall(port: port, callSid: TestSID.call(102))
            #expect(callB.greeted)
            let fifth = await closes.next()
            #expect(fifth == "")
            // One more busy connection takes the last slow head's place: now all six are busy.
            busy.append(try await HeldConnection.open(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", awaitResponse: true))
            let sixth = await closes.next()
            #expect(sixth == "")
            // Nothing is evictable: every further connection is refused (closed unanswered).
            for _ in 0..<5 {
                #expect(try await RawHTTP.sendAndAwaitClose(port: port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n") == "")
            }
            let counters = harness.server.connections.counters
            #expect(counters.refused == 5)
            #expect(counters.evicted == 6)
            #expect(counters.open == 6)

            // Both calls were admitted, heard their greeting and end normally.
            for call in [callA, callB] { call.finish() }
            #expect(try await callA.done.value)
            #expect(try await callB.done.value)
            for connection in busy { connection.release() }
        }
        let results = await harness.sink.waitForResults(2)
        #expect(Set(results.map(\.identity.callID)) == [TestSID.call(101), TestSID.call(102)])
        #expect(results.allSatisfy { $0.endReason == .callerHungUp })
    }

    @Test func anAbortedUpgradeGivesItsSlotBackAtOnce() async throws {
        let harness = WorkerHarness()
        try await harness.run { port in
            let registry = CallRegistry(capacity: 1)
            let pending = PendingUpgrades()
            let aborted = NIOLockedValueBox(0)
            for _ in 0..<3 {
                #expect(registry.reserve() == .accept)
                #expect(registry.admission() != .accept)
                let channel = try await RawHTTP.open(port: port)
                pending.add(channel.channel) {
                    registry.cancelReservation()
                    aborted.withLockedValue { $0 += 1 }
                }
                try await channel.channel.close()
                try await channel.channel.closeFuture.get()
                #expect(registry.admission() == .accept)
            }
            #expect(aborted.withLockedValue { $0 } == 3)
            // A claimed upgrade is not released by its close.
            #expect(registry.reserve() == .accept)
            let channel = try await RawHTTP.open(port: port)
            pending.add(channel.channel) { registry.cancelReservation() }
            #expect(pending.take(channel.channel))
            #expect(registry.claim() != nil)
            try await channel.channel.close()
            try await channel.channel.closeFuture.get()
            #expect(registry.admission() != .accept)
            #expect(pending.count == 0)
        }
    }
}
