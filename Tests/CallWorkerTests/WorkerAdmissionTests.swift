import CallEngine
import CallTesting
import CallWorker
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import Prometheus
import Testing
import TwilioMediaStreams

/// Upgrade-time refusals (unknown bot, capacity, signatures) and the HTTP routes.
@Suite(.timeLimit(.minutes(2)))
struct WorkerAdmissionTests {
    /// A WebSocket connection attempt that must be refused before the upgrade, with `status`
    /// and a JSON body naming `reason`: checked with a raw upgrade request (the WebSocket
    /// client only reports that the upgrade failed), then with the WebSocket client.
    static func expectRefusedUpgrade(
        port: Int, path: String, headers: [(String, String)] = [], status: Int, reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let response = try await RawUpgrade.attempt(port: port, path: path, headers: headers)
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.body.contains(reason), "body: \(response.body)", sourceLocation: sourceLocation)
        var configuration = WebSocketClientConfiguration()
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { configuration.additionalHeaders[field] = value }
        }
        let opened = NIOLockedValueBox(false)
        await #expect(throws: (any Error).self, sourceLocation: sourceLocation) {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(path)", configuration: configuration, logger: Logger(label: "t")) { _, _, _ in
                opened.withLockedValue { $0 = true }
            }
        }
        #expect(!opened.withLockedValue { $0 }, sourceLocation: sourceLocation)
    }

    @Test func unknownBotIsRejectedWith404BeforeTheUpgrade() async throws {
        let harness = WorkerHarness()
        try await harness.run { port in
            try await Self.expectRefusedUpgrade(port: port, path: "/ws/nobody", status: 404, reason: "unknown bot")
            let response = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/ws/nobody")
            #expect(response.status == 404)
            #expect(response.body.contains("unknown bot"))
        }
        #expect(harness.sink.results.isEmpty)
    }

    @Test func callBeyondCapacityIsRefusedWith503AndCounted() async throws {
        let harness = WorkerHarness(maximumConcurrentCalls: 1)
        try await harness.run { port in
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            async let first = TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(5555)) { caller in
                caller.connectedAndStart()
                try await caller.waitInSilence { $0.echoes.count >= 1 }
                startedContinuation.yield()
                for await _ in release { break }
                caller.stop()
            }
            for await _ in started { break }
            let ready = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(ready.status == 503)
            #expect(ready.body.contains("full"))
            try await Self.expectRefusedUpgrade(port: port, path: "/ws/demo", status: 503, reason: "full")
            // Each upgrade attempt (raw and WebSocket client) was refused and counted.
            #expect(harness.server.statistics.document().calls.refused == 2)
            #expect(harness.server.refusedUpgrades.pendingCount == 0)
            let probe = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/ws/demo")
            #expect(probe.status == 503)
            #expect(probe.body.contains("full"))
            releaseContinuation.yield()
            _ = try await first
            _ = await harness.sink.waitForResults(1)
            let readyAgain = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(readyAgain.status == 200)
        }
    }

    @Test func twilioSignatureIsEnforcedOnUpgradeAndWebhook() async throws {
        let token = "12345"
        let validator = TwilioSignatureValidator(authToken: token)
        let harness = WorkerHarness(twilioAuthToken: token, publicHost: "worker.example.com")
        try await harness.run { port in
            // Forged and missing signatures: 403 before the upgrade.
            try await Self.expectRefusedUpgrade(
                port: port, path: "/ws/demo", headers: [("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")],
                status: 403, reason: "invalid signature")
            try await Self.expectRefusedUpgrade(port: port, path: "/ws/demo", status: 403, reason: "invalid signature")
            let forged = try await HTTP.request(
                .GET, "http://127.0.0.1:\(port)/ws/demo", headers: [("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")])
            #expect(forged.status == 403)
            // A correct signature over the wss:// URL from TwiML is accepted and the call runs.
            let signature = validator.signature(url: "wss://worker.example.com/ws/demo")
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Twilio-Signature")!] = signature
            // The stream also carries the token a signed TwiML answer would have given it.
            let streamToken = StreamTokenKey(authToken: token).sign(StreamToken(
                callSid: TestSID.call(6666), accountSid: "AC" + String(repeating: "0", count: 32), botID: "demo",
                parameters: ["From": "+15550100"], expiresAt: Int64(Date().timeIntervalSince1970) + 60))
            _ = try await TwilioWebSocketCaller.call(
                url: "ws://127.0.0.1:\(port)/ws/demo", callSid: TestSID.call(6666), headers: headers,
                parameters: [StreamToken.parameterName: streamToken]
            ) { caller in
                caller.connectedAndStart()
                let heard1 = try await caller.waitInSilence { $0.echoes.count >= 1 }
                #expect(heard1)
                caller.stop()
            }
            _ = await harness.sink.waitForResults(1)

            // The voice webhook: signed form post -> TwiML with the public wss:// URL.
            let form = "AccountSid=\(TestSID.account(1))&CallSid=\(TestSID.call(7777))&From=%2B15550100&To=%2B15550199"
            let parameters = TwilioSignatureValidator.formParameters(urlEncoded: form)
            let webhookSignature = validator.signature(url: "https://worker.example.com/twiml/demo", parameters: parameters)
            let contentType = ("Content-Type", "application/x-www-form-urlencoded")
            let twiml = try await HTTP.request(
                .POST, "http://127.0.0.1:\(port)/twiml/demo", headers: [contentType, ("X-Twilio-Signature", webhookSignature)], body: form)
            #expect(twiml.status == 200)
            #expect(twiml.body.contains("<Stream url=\"wss://worker.example.com/ws/demo\""))
            #expect(twiml.body.contains("<Connect>"))
            #expect(twiml.body.contains(#"<Parameter name="stream_token" value="v1."#))
            let rejected = try await HTTP.request(
                .POST, "http://127.0.0.1:\(port)/twiml/demo", headers: [contentType, ("X-Twilio-Signature", webhookSignature)], body: form + "&Extra=1")
            #expect(rejected.status == 403)
        }
        #expect(harness.sink.results.map(\.identity.callID) == [TestSID.call(6666)])
    }

    @Test func healthAndMetricsRoutes() async throws {
        let prometheus = PrometheusCollectorRegistry()
        prometheus.makeCounter(descriptor: MetricNameDescriptor(metricName: "worker_test_marker", unitName: "total", helpText: "test marker")).increment(by: Int64(3))
        let harness = WorkerHarness(prometheus: prometheus)
        try await harness.run { port in
            let health = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health")
            #expect(health.status == 200)
            #expect(health.body == #"{"ok":true}"#)
            let ready = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/health/ready")
            #expect(ready.status == 200)
            let metrics = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/api/v1/metrics")
            #expect(metrics.status == 200)
            let document = try JSONDecoder().decode(MetricsDocument.self, from: Data(metrics.body.utf8))
            #expect(document.calls.active == 0)
            let exposition = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/metrics")
            #expect(exposition.status == 200)
            #expect(exposition.body.contains("worker_test_marker_total 3"))
            let plain = try await HTTP.request(.GET, "http://127.0.0.1:\(port)/ws/demo")
            #expect(plain.status == 426)
        }
    }
}
