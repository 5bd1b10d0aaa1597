import CallEngine
import CallTesting
import CallWorker
import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import Testing
import TwilioMediaStreams

/// The stream token end to end: a signed TwiML answer's token admits its stream; a replayed,
/// forged, expired or missing one ends the stream at `start` with end reason `unauthorized`.
@Suite(.timeLimit(.minutes(2)))
struct StreamFlowTests {
    static let token = "flow-auth-token"
    static let publicHost = "worker.example.com"
    static let validator = TwilioSignatureValidator(authToken: token)
    /// `TwilioCallerSimulator`'s default account.
    static let accountSid = "AC" + String(repeating: "0", count: 32)

    /// The `stream_token` parameter value in a TwiML document.
    static func streamToken(in xml: String) -> String? {
        guard let name = xml.range(of: #"<Parameter name="stream_token" value=""#) else { return nil }
        let rest = xml[name.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Answers the signed voice webhook for `callSid` and returns the token it carries.
    static func answer(port: Int, callSid: String) async throws -> String {
        let form = "AccountSid=\(accountSid)&CallSid=\(callSid)&From=%2B15550100"
        let signature = validator.signature(
            url: "https://\(publicHost)/twiml/demo", parameters: TwilioSignatureValidator.formParameters(urlEncoded: form))
        let response = try await RawHTTP.exchange(port: port, RawHTTP.post(
            "/twiml/demo", host: publicHost, form: form, headers: [("X-Twilio-Signature", signature)]))
        #expect(response.status == 200)
        return try #require(streamToken(in: response.body), "no stream token in \(response.body)")
    }

    static var upgradeHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Twilio-Signature")!] = validator.signature(url: "wss://\(publicHost)/ws/demo")
        return headers
    }

    /// Starts a stream with `parameters` and reports whether the greeting played (false: the
    /// worker closed the socket first).
    static func stream(port: Int, callSid: String, parameters: [String: String]) async throws -> Bool {
        let heard = NIOLockedValueBox(false)
        _ = try await TwilioWebSocketCaller.call(
            url: "ws://127.0.0.1:\(port)/ws/demo", callSid: callSid, headers: upgradeHeaders, parameters: parameters
        ) { caller in
            caller.connectedAndStart()
            let greeted = try await caller.waitInSilence(seconds: 20) { $0.echoes.count >= 1 }
            heard.withLockedValue { $0 = greeted }
            if greeted { caller.stop() } else { #expect(caller.isServerClosed) }
        }
        return heard.withLockedValue { $0 }
    }

    @Test func aSignedStreamRunsAndEveryReplayedOrForgedStartIsRefused() async throws {
        let harness = WorkerHarness(twilioAuthToken: Self.token, publicHost: Self.publicHost)
        try await harness.run { port in
            let first = TestSID.call(1)
            let token = try await Self.answer(port: port, callSid: first)
            let parameters = [StreamToken.parameterName: token]
            #expect(try await Self.stream(port: port, callSid: first, parameters: parameters))
            _ = await harness.sink.waitForResults(1)

            // The whole stream replayed (same signature, same start, same token).
            #expect(try await !Self.stream(port: port, callSid: first, parameters: parameters))
            // The token moved to another call.
            #expect(try await !Self.stream(port: port, callSid: TestSID.call(2), parameters: parameters))
            // A parameter of the TwiML answer changed on start.
            let third = TestSID.call(3)
            let thirdToken = try await Self.answer(port: port, callSid: third)
            #expect(try await !Self.stream(port: port, callSid: third, parameters: ["From": "+15550199", StreamToken.parameterName: thirdToken]))
            // No token at all, a forged one, an expired one.
            #expect(try await !Self.stream(port: port, callSid: TestSID.call(4), parameters: [:]))
            #expect(try await !Self.stream(port: port, callSid: TestSID.call(5), parameters: [StreamToken.parameterName: "v1.9999999999.AAAA"]))
            let expired = StreamTokenKey(authToken: Self.token).sign(StreamToken(
                callSid: TestSID.call(6), accountSid: Self.accountSid, botID: "demo", parameters: ["From": "+15550100"],
                expiresAt: Int64(Date().timeIntervalSince1970) - 1))
            #expect(try await !Self.stream(port: port, callSid: TestSID.call(6), parameters: [StreamToken.parameterName: expired]))
            // The refused streams did not keep a slot: a fresh signed call still runs.
            let seventh = TestSID.call(7)
            let seventhToken = try await Self.answer(port: port, callSid: seventh)
            #expect(try await Self.stream(port: port, callSid: seventh, parameters: [StreamToken.parameterName: seventhToken]))
        }
        let results = await harness.sink.waitForResults(8)
        let reasons = Dictionary(results.map { ($0.identity.callID, $0) }) { a, _ in a }
        #expect(reasons[TestSID.call(1)]?.endReason == .callerHungUp)
        #expect(reasons[TestSID.call(7)]?.endReason == .callerHungUp)
        let refused = results.filter { $0.endReason == .unauthorized }
        #expect(refused.count == 6)
        let errors = refused.flatMap(\.errors).joined(separator: " ")
        for label in ["stream_token_replayed", "stream_token_mismatch", "stream_token_missing", "stream_token_malformed", "stream_token_expired"] {
            #expect(errors.contains(label), "\(label) in \(errors)")
        }
        // No refused stream reached the providers (no greeting synthesized for it, no STT).
        #expect(refused.allSatisfy { $0.transcript.isEmpty && $0.identity.customParameters[StreamToken.parameterName] == nil })
        #expect(harness.server.statistics.document().calls.refused == 6)
    }
}
