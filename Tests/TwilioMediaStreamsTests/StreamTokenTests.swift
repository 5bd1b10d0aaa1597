import Foundation
import NIOCore
import Testing
@testable import TwilioMediaStreams

/// The TwiML stream token (sign, verify, replay) and the shape of Twilio ids on `start`.
@Suite("Stream token and SID shapes")
struct StreamTokenTests {
    let key = StreamTokenKey(authToken: "12345")
    let call = "CA" + String(repeating: "ab", count: 16)
    let account = "AC" + String(repeating: "0f", count: 16)
    let stream = "MZ" + String(repeating: "9e", count: 16)

    static func failure(_ result: Result<Void, StreamTokenError>) -> StreamTokenError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    func claims(expiresAt: Int64 = 1_000, parameters: [String: String] = ["From": "+15550100"]) -> StreamToken {
        StreamToken(callSid: call, accountSid: account, botID: "sales", parameters: parameters, expiresAt: expiresAt)
    }

    func verify(_ token: String?, call: String? = nil, account: String? = nil, bot: String = "sales",
                parameters: [String: String] = ["From": "+15550100"], now: Int64 = 900) -> Result<StreamToken, StreamTokenError> {
        Result { () throws(StreamTokenError) in
            try key.verify(token, callSid: call ?? self.call, accountSid: account ?? self.account, botID: bot, parameters: parameters, now: now)
        }
    }

    @Test func aTokenVerifiesOnlyForItsCallAccountBotParametersAndLifetime() throws {
        let token = key.sign(claims())
        #expect(token.hasPrefix("v1.1000."))
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        #expect(token.utf8.count < 100)
        #expect(try verify(token).get() == claims())
        // The token parameter itself is not covered (it is in customParameters on start).
        #expect((try? verify(token, parameters: ["From": "+15550100", StreamToken.parameterName: token]).get()) != nil)

        let otherCall = "CA" + String(repeating: "ac", count: 16)
        #expect(verify(token, call: otherCall) == .failure(.mismatch))
        #expect(verify(token, account: "AC" + String(repeating: "00", count: 16)) == .failure(.mismatch))
        #expect(verify(token, bot: "support") == .failure(.mismatch))
        #expect(verify(token, parameters: ["From": "+15550199"]) == .failure(.mismatch))
        #expect(verify(token, parameters: ["From": "+15550100", "reservation_id": "x"]) == .failure(.mismatch))
        #expect(verify(token, parameters: [:]) == .failure(.mismatch))
        #expect(verify(token, now: 1_000) == .failure(.expired(expiresAt: 1_000, now: 1_000)))
        // Another key (another account's token or secret) does not verify it.
        let other = StreamTokenKey(secret: "another-secret-of-at-least-32-characters")
        #expect(throws: StreamTokenError.mismatch) {
            try other.verify(token, callSid: call, accountSid: account, botID: "sales", parameters: ["From": "+15550100"], now: 900)
        }
    }

    @Test func forgedAndMalformedTokensAreRefused() {
        let token = key.sign(claims())
        let parts = token.split(separator: ".").map(String.init)
        // A later expiry with the old MAC is a forgery, not an expired token.
        #expect(verify("v1.99999999999.\(parts[2])", now: 2_000) == .failure(.mismatch))
        #expect(verify(nil) == .failure(.missing))
        #expect(verify("") == .failure(.missing))
        for bad in ["v2.1000.\(parts[2])", "v1.1000", "v1..\(parts[2])", "v1.-5.\(parts[2])", "v1.1000.\(parts[2])=",
                    "v1.1000.\(parts[2].dropLast())", "v1.1000.\(parts[2])AA", "v1.1000.!!", "v1.1e3.\(parts[2])",
                    "v1.1000.\(parts[2]).x", "v1.1234567890123456789.\(parts[2])"] {
            #expect(verify(bad) == .failure(.malformed), "\(bad)")
        }
        // Length-prefixed fields: moving characters between fields changes the MAC.
        let shifted = StreamToken(callSid: call, accountSid: account, botID: "sale", parameters: ["sFrom": "+15550100"], expiresAt: 1_000)
        #expect(key.sign(shifted) != token)
    }

    @Test func admissionRefusesReplaysAndPassesOpenPolicy() throws {
        let replays = StreamTokenReplayCache(capacity: 2)
        let admission = StreamAdmission(policy: .tokenRequired(key: key, replays: replays), clock: { 900 })
        let token = key.sign(claims())
        func start(_ parameters: [String: String], callSid: String? = nil) -> TwilioStartMessage {
            TwilioStartMessage(sequenceNumber: "1", streamSid: stream, start: .init(
                accountSid: account, streamSid: stream, callSid: callSid ?? call, customParameters: parameters))
        }
        let signed = start(["From": "+15550100", StreamToken.parameterName: token])
        #expect((try? admission.check(signed, botID: "sales").get()) != nil)
        #expect(Self.failure(admission.check(signed, botID: "sales")) == .replayed)
        #expect(Self.failure(admission.check(start(["From": "+15550100"]), botID: "sales")) == .missing)
        #expect(Self.failure(admission.check(signed, botID: "other")) == .mismatch)
        // Bounded: a full cache of live tokens refuses more instead of forgetting one.
        for n in 1...2 {
            let call = "CA" + String(repeating: "0", count: 31) + "\(n)"
            let t = key.sign(StreamToken(callSid: call, accountSid: account, botID: "sales", parameters: [:], expiresAt: 1_000))
            let result = admission.check(start([StreamToken.parameterName: t], callSid: call), botID: "sales")
            #expect(n == 1 ? (try? result.get()) != nil : Self.failure(result) == .replayed)
        }
        #expect(replays.count == 2)
        #expect(replays.markUsed("later", expiresAt: 3_000, now: 1_000))   // expired entries make room
        #expect((try? StreamAdmission.open.check(start([:]), botID: "x").get()) != nil)
        #expect(!StreamAdmission.open.requiresToken && admission.requiresToken)
    }

    @Test func derivedKeysDependOnTheAuthToken() {
        let a = StreamTokenKey(authToken: "12345").sign(claims())
        #expect(StreamTokenKey(authToken: "12345").sign(claims()) == a)
        #expect(StreamTokenKey(authToken: "12346").sign(claims()) != a)
        #expect(StreamTokenKey(secret: "12345").sign(claims()) != a)
    }

    @Test func sidShapes() {
        #expect(TwilioSID.isValid(call, kind: .call))
        #expect(TwilioSID.isValid("CA" + String(repeating: "AB", count: 16), kind: .call))
        #expect(!TwilioSID.isValid(call, kind: .account))
        #expect(!TwilioSID.isValid("CA1234", kind: .call))
        #expect(!TwilioSID.isValid(call + "0", kind: .call))
        #expect(!TwilioSID.isValid("CA" + String(repeating: "g", count: 32), kind: .call))
        #expect(!TwilioSID.isValid("ca" + String(repeating: "a", count: 32), kind: .call))
        #expect(!TwilioSID.isValid("CA" + String(repeating: "a", count: 31) + "\n", kind: .call))
        #expect(!TwilioSID.isValid("CA" + String(repeating: "a", count: 30) + "é", kind: .call))
        #expect(TwilioSID.isValid(stream, kind: .stream) && TwilioSID.isValid(account, kind: .account))
    }

    @Test func startWithMisshapenIdsEndsTheStream() {
        let parser = TwilioMessageParser()
        let payload = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 8000)
        defer { payload.deallocate() }
        func startText(stream: String, innerStream: String? = nil, call: String, account: String) -> String {
            #"{"event":"start","sequenceNumber":"1","streamSid":"\#(stream)","start":{"accountSid":"\#(account)","streamSid":"\#(innerStream ?? stream)","callSid":"\#(call)","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#
        }
        let good = startText(stream: stream, call: call, account: account)
        #expect((try? parser.parse(good, payloadInto: payload)) != nil)
        let cases: [(String, String)] = [
            (startText(stream: stream, call: "CA1", account: account), "start.callSid"),
            (startText(stream: stream, call: call, account: "AC1"), "start.accountSid"),
            (startText(stream: "MZ1", call: call, account: account), "streamSid"),
            (startText(stream: stream, call: account, account: call), "start.callSid"),
            (startText(stream: stream, call: call + #"\n"#, account: account), "start.callSid"),
        ]
        for (text, field) in cases {
            #expect(throws: TwilioMessageError.invalidField(event: .start, field: field, reason: "not \(field.hasSuffix("callSid") ? "CA" : field.hasSuffix("accountSid") ? "AC" : "MZ") followed by 32 hex digits")) {
                try parser.parse(text, payloadInto: payload)
            }
        }
        let other = "MZ" + String(repeating: "00", count: 16)
        #expect(throws: TwilioMessageError.invalidField(event: .start, field: "start.streamSid", reason: "differs from streamSid")) {
            try parser.parse(startText(stream: stream, innerStream: other, call: call, account: account), payloadInto: payload)
        }
        // The session turns it into a rejection that ends the call.
        var session = TwilioStreamSession(logger: .init(label: "t"))
        _ = session.receive(#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#, payloadInto: payload)
        guard case .rejected(let error, let outcome) = session.receive(cases[0].0, payloadInto: payload) else {
            Issue.record("start with a bad callSid was accepted")
            return
        }
        #expect(outcome == .endCall)
        #expect(error.label == "invalid_field")
    }
}
