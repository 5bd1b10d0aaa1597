import CallWorker
import Foundation
import Testing
import TwilioMediaStreams

/// The signature matrix: every way a signed request can be rebuilt wrongly (ports, schemes,
/// forwarding headers, Host spoofing with and without a public host, query and body
/// tampering) and the exact status the worker answers. Requests go over raw TCP so the
/// `Host` and forwarding headers are exactly as written.
@Suite(.timeLimit(.minutes(2)))
struct SignatureMatrixTests {
    static let token = "matrix-auth-token"
    static let publicHost = "worker.example.com"
    static let validator = TwilioSignatureValidator(authToken: token)
    static let callSid = TestSID.call(4242)
    static let accountSid = TestSID.account(7)
    static let form = "AccountSid=\(accountSid)&CallSid=\(callSid)&From=%2B15550100&To=%2B15550199"

    /// One row: a request and the status it must get.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var request: @Sendable (_ port: Int) -> String
        var status: Int
        var description: String { name }
    }

    static func sign(_ url: String, form: String? = nil) -> String {
        validator.signature(url: url, parameters: form.map { TwilioSignatureValidator.formParameters(urlEncoded: $0) } ?? [:])
    }

    static func upgrade(_ name: String, path: String = "/ws/demo", host: String? = nil, signedURL: String?,
                        headers: [(String, String)] = [], status: Int) -> Case {
        Case(name: "upgrade: " + name, request: { port in
            var lines = headers
            if let signedURL { lines.append(("X-Twilio-Signature", sign(signedURL))) }
            return RawHTTP.upgrade(path, host: host ?? "127.0.0.1:\(port)", headers: lines)
        }, status: status)
    }

    static func webhook(_ name: String, path: String = "/twiml/demo", host: String? = nil, signedURL: String?,
                        signedForm: String = form, sentForm: String = form, headers: [(String, String)] = [], status: Int) -> Case {
        Case(name: "webhook: " + name, request: { port in
            var lines = headers
            if let signedURL { lines.append(("X-Twilio-Signature", sign(signedURL, form: signedForm))) }
            return RawHTTP.post(path, host: host ?? "127.0.0.1:\(port)", form: sentForm, headers: lines)
        }, status: status)
    }

    static let wss = "wss://\(publicHost)/ws/demo"
    static let https = "https://\(publicHost)/twiml/demo"

    /// Signatures on, `PUBLIC_HOST` set, no trusted proxy.
    static let enforced: [Case] = [
        upgrade("signed wss URL of the public host", signedURL: wss, status: 101),
        upgrade("same signature again (replay passes the upgrade; the stream token stops it)", signedURL: wss, status: 101),
        upgrade("signed with the default port :443 (Twilio's quirk)", signedURL: "wss://\(publicHost):443/ws/demo", status: 101),
        upgrade("header name in lower case", signedURL: nil, headers: [("x-twilio-signature", sign(wss))], status: 101),
        upgrade("missing signature", signedURL: nil, status: 403),
        upgrade("garbage signature", signedURL: nil, headers: [("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")], status: 403),
        upgrade("non-canonical base64", signedURL: nil, headers: [("X-Twilio-Signature", String(sign(wss).dropLast()) + "x")], status: 403),
        upgrade("scheme ws", signedURL: "ws://\(publicHost)/ws/demo", status: 403),
        upgrade("scheme https", signedURL: "https://\(publicHost)/ws/demo", status: 403),
        upgrade("another port :8443", signedURL: "wss://\(publicHost):8443/ws/demo", status: 403),
        Case(name: "upgrade: the worker's own host and port", request: { port in
            RawHTTP.upgrade("/ws/demo", host: "127.0.0.1:\(port)", headers: [("X-Twilio-Signature", sign("wss://127.0.0.1:\(port)/ws/demo"))])
        }, status: 403),
        upgrade("Host spoofed, signed for the spoofed host", host: "evil.example.com", signedURL: "wss://evil.example.com/ws/demo", status: 403),
        upgrade("Host spoofed, signed for the public host", host: "evil.example.com", signedURL: wss, status: 101),
        upgrade("X-Forwarded-Host spoofed", signedURL: "wss://evil.example.com/ws/demo",
                headers: [("X-Forwarded-Host", "evil.example.com")], status: 403),
        upgrade("X-Forwarded-Proto http from an untrusted peer, signed ws", signedURL: "ws://\(publicHost)/ws/demo",
                headers: [("X-Forwarded-Proto", "http")], status: 403),
        upgrade("X-Forwarded-Proto http from an untrusted peer is ignored", signedURL: wss,
                headers: [("X-Forwarded-Proto", "http")], status: 101),
        upgrade("X-Forwarded-Port from an untrusted peer", signedURL: "wss://\(publicHost):8443/ws/demo",
                headers: [("X-Forwarded-Port", "8443")], status: 403),
        upgrade("query added to a signed path", path: "/ws/demo?x=1", signedURL: wss, status: 403),
        upgrade("signature of another bot's URL", signedURL: "wss://\(publicHost)/ws/other", status: 403),
        upgrade("unknown bot (checked first)", path: "/ws/nobody", signedURL: "wss://\(publicHost)/ws/nobody", status: 404),
        Case(name: "plain GET of /ws/demo unsigned", request: { port in RawHTTP.get("/ws/demo", host: "127.0.0.1:\(port)") }, status: 403),
        Case(name: "plain GET of /ws/demo signed", request: { port in
            RawHTTP.get("/ws/demo", host: "127.0.0.1:\(port)", headers: [("X-Twilio-Signature", sign(wss))])
        }, status: 426),
        webhook("signed https URL of the public host", signedURL: https, status: 200),
        webhook("signed with the default port :443", signedURL: "https://\(publicHost):443/twiml/demo", status: 200),
        webhook("missing signature", signedURL: nil, status: 403),
        webhook("scheme http", signedURL: "http://\(publicHost)/twiml/demo", status: 403),
        webhook("another port :8443", signedURL: "https://\(publicHost):8443/twiml/demo", status: 403),
        Case(name: "webhook: the worker's own host and port", request: { port in
            RawHTTP.post("/twiml/demo", host: "127.0.0.1:\(port)", form: form,
                         headers: [("X-Twilio-Signature", sign("http://127.0.0.1:\(port)/twiml/demo", form: form))])
        }, status: 403),
        webhook("Host spoofed, signed for the spoofed host", host: "evil.example.com", signedURL: "https://evil.example.com/twiml/demo", status: 403),
        webhook("X-Forwarded-Proto http from an untrusted peer", signedURL: "http://\(publicHost)/twiml/demo",
                headers: [("X-Forwarded-Proto", "http")], status: 403),
        webhook("query as signed", path: "/twiml/demo?reservation_id=r-1", signedURL: https + "?reservation_id=r-1", status: 200),
        webhook("query value tampered", path: "/twiml/demo?reservation_id=r-2", signedURL: https + "?reservation_id=r-1", status: 403),
        webhook("query added", path: "/twiml/demo?reservation_id=r-2", signedURL: https, status: 403),
        webhook("query removed", signedURL: https + "?reservation_id=r-1", status: 403),
        webhook("body parameter changed", signedURL: https, sentForm: form.replacingOccurrences(of: "0100", with: "0101"), status: 403),
        webhook("body parameter added", signedURL: https, sentForm: form + "&Extra=1", status: 403),
        webhook("signed, but CallSid is not CA + 32 hex", signedURL: https, signedForm: "AccountSid=\(accountSid)&CallSid=CA1",
                sentForm: "AccountSid=\(accountSid)&CallSid=CA1", status: 400),
        webhook("signed, but AccountSid missing", signedURL: https, signedForm: "CallSid=\(callSid)", sentForm: "CallSid=\(callSid)", status: 400),
        webhook("unknown bot", path: "/twiml/nobody", signedURL: "https://\(publicHost)/twiml/nobody", status: 404),
    ]

    /// Signatures on, `PUBLIC_HOST` set, the test client's address trusted as a proxy.
    static let behindProxy: [Case] = [
        upgrade("trusted X-Forwarded-Proto http, signed ws", signedURL: "ws://\(publicHost)/ws/demo",
                headers: [("X-Forwarded-Proto", "http")], status: 101),
        upgrade("trusted X-Forwarded-Proto http, signed wss", signedURL: wss, headers: [("X-Forwarded-Proto", "http")], status: 403),
        upgrade("trusted X-Forwarded-Proto https, signed wss", signedURL: wss, headers: [("X-Forwarded-Proto", "https, http")], status: 101),
        upgrade("trusted proxy, X-Forwarded-Host is still ignored", signedURL: "wss://evil.example.com/ws/demo",
                headers: [("X-Forwarded-Host", "evil.example.com")], status: 403),
        webhook("trusted X-Forwarded-Proto http, signed http", signedURL: "http://\(publicHost)/twiml/demo",
                headers: [("X-Forwarded-Proto", "http")], status: 200),
        webhook("trusted X-Forwarded-Proto http, signed https", signedURL: https, headers: [("X-Forwarded-Proto", "http")], status: 403),
    ]

    /// Signatures on, no `PUBLIC_HOST` (the binary refuses to start; in process it fails closed).
    static let noPublicHost: [Case] = [
        Case(name: "upgrade without public host, signed for the Host header", request: { port in
            RawHTTP.upgrade("/ws/demo", host: "127.0.0.1:\(port)", headers: [("X-Twilio-Signature", sign("wss://127.0.0.1:\(port)/ws/demo"))])
        }, status: 403),
        Case(name: "webhook without public host, signed for the Host header", request: { port in
            RawHTTP.post("/twiml/demo", host: "127.0.0.1:\(port)", form: form,
                         headers: [("X-Twilio-Signature", sign("https://127.0.0.1:\(port)/twiml/demo", form: form))])
        }, status: 403),
    ]

    /// No auth token and signatures not switched off: every signed route refuses.
    static let noToken: [Case] = [
        upgrade("no token configured", signedURL: nil, status: 403),
        webhook("no token configured", signedURL: nil, status: 403),
    ]

    /// `TWILIO_SIGNATURES=off`: development mode.
    static let off: [Case] = [
        upgrade("signatures off, unsigned", signedURL: nil, status: 101),
        webhook("signatures off, unsigned", signedURL: nil, status: 200),
    ]

    static func run(_ cases: [Case], on harness: WorkerHarness) async throws -> [String] {
        try await harness.run { port in
            var failures: [String] = []
            for row in cases {
                let response = try await RawHTTP.exchange(port: port, row.request(port))
                if response.status != row.status { failures.append("\(row.name): got \(response.status), want \(row.status) \(response.body)") }
            }
            return failures
        }
    }

    static func security(_ change: (inout WorkerSecurityConfiguration) -> Void = { _ in }) -> WorkerSecurityConfiguration {
        var security = WorkerSecurityConfiguration()
        change(&security)
        return security
    }

    @Test func everyCaseGetsItsExactStatus() async throws {
        let total = Self.enforced.count + Self.behindProxy.count + Self.noPublicHost.count + Self.noToken.count + Self.off.count
        #expect(total >= 40)
        var failures = try await Self.run(Self.enforced, on: WorkerHarness(
            maximumConcurrentCalls: 50, twilioAuthToken: Self.token, publicHost: Self.publicHost))
        failures += try await Self.run(Self.behindProxy, on: WorkerHarness(
            maximumConcurrentCalls: 50, twilioAuthToken: Self.token, publicHost: Self.publicHost,
            security: Self.security { $0.trustedProxies = TrustedProxies(parsing: "127.0.0.0/8, ::1") ?? .none }))
        failures += try await Self.run(Self.noPublicHost, on: WorkerHarness(maximumConcurrentCalls: 50, twilioAuthToken: Self.token))
        failures += try await Self.run(Self.noToken, on: WorkerHarness(maximumConcurrentCalls: 50, security: Self.security()))
        failures += try await Self.run(Self.off, on: WorkerHarness(maximumConcurrentCalls: 50))
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func signedTwiMLCarriesAStreamTokenForItsCallAndBot() async throws {
        let harness = WorkerHarness(twilioAuthToken: Self.token, publicHost: Self.publicHost)
        try await harness.run { port in
            let response = try await RawHTTP.exchange(port: port, RawHTTP.post(
                "/twiml/demo", host: "x", form: Self.form, headers: [("X-Twilio-Signature", Self.sign(Self.https, form: Self.form))]))
            #expect(response.status == 200)
            #expect(response.body.contains(#"<Stream url="wss://worker.example.com/ws/demo">"#))
            let token = try #require(StreamFlowTests.streamToken(in: response.body))
            let key = StreamTokenKey(authToken: Self.token)
            let claims = try key.verify(
                token, callSid: Self.callSid, accountSid: Self.accountSid, botID: "demo",
                parameters: ["From": "+15550100", "To": "+15550199"], now: Int64(Date().timeIntervalSince1970))
            #expect(claims.expiresAt - Int64(Date().timeIntervalSince1970) <= 60)
            // Unsigned development answers carry none.
        }
        let off = WorkerHarness()
        try await off.run { port in
            let response = try await RawHTTP.exchange(port: port, RawHTTP.post("/twiml/demo", host: "x", form: Self.form))
            #expect(response.status == 200)
            #expect(!response.body.contains(StreamToken.parameterName))
        }
    }
}
