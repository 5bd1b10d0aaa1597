import Foundation
import Testing
import TwilioMediaStreams
@testable import TwilioREST

/// The bytes on the wire, checked against the replayable exchange in providers-wire.md §1.7
/// (printed by Twilio's own Python helper library).
@Suite struct TwilioWireFormatTests {
    static let account = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"

    @Test func createCallBodyMatchesTheHelperLibraryByteForByte() throws {
        let request = TwilioCreateCallRequest(
            to: "+15558675310", from: "+15017122661",
            instructions: .twiml(#"<Response><Connect><Stream url="wss://example.com/media"/></Connect></Response>"#),
            statusCallback: "https://example.com/status",
            statusCallbackEvents: [.initiated, .ringing, .answered, .completed],
            statusCallbackMethod: "POST", timeoutSeconds: 30, record: false,
            machineDetection: .enable, asyncAMD: true, asyncAMDStatusCallback: "https://example.com/amd")
        try request.validate()
        #expect(TwilioFormEncoder.encode(request.formFields) == "To=%2B15558675310&From=%2B15017122661&StatusCallback=https%3A%2F%2Fexample.com%2Fstatus&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing&StatusCallbackEvent=answered&StatusCallbackEvent=completed&StatusCallbackMethod=POST&Timeout=30&Record=false&MachineDetection=Enable&AsyncAmd=true&AsyncAmdStatusCallback=https%3A%2F%2Fexample.com%2Famd&Twiml=%3CResponse%3E%3CConnect%3E%3CStream+url%3D%22wss%3A%2F%2Fexample.com%2Fmedia%22%2F%3E%3C%2FConnect%3E%3C%2FResponse%3E")
    }

    @Test func basicAuthHeaderMatchesTheReference() {
        let credentials = TwilioCredentials.authToken(accountSID: Self.account, authToken: "your_auth_token")
        #expect(credentials.authorizationHeader == "Basic QUNYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWDp5b3VyX2F1dGhfdG9rZW4=")
        #expect(credentials.matches(authorizationHeader: credentials.authorizationHeader))
        #expect(!credentials.matches(authorizationHeader: "Basic QUNYWFhY"))
        let key = TwilioCredentials.apiKey(accountSID: Self.account, keySID: "SK123", secret: "s3cret")
        #expect(key.authorizationHeader == "Basic " + Data("SK123:s3cret".utf8).base64EncodedString())
        #expect(!"\(key)".contains("s3cret") && !"\(credentials)".contains("your_auth_token"))
    }

    @Test func transferAndHangUpBodiesMatchTheReference() throws {
        let twiml = #"<Response><Dial callerId="+15017122661"><Number>+15551230000</Number></Dial></Response>"#
        #expect(TwilioFormEncoder.encode(TwilioUpdateCallRequest.twiml(twiml).formFields)
            == "Twiml=%3CResponse%3E%3CDial+callerId%3D%22%2B15017122661%22%3E%3CNumber%3E%2B15551230000%3C%2FNumber%3E%3C%2FDial%3E%3C%2FResponse%3E")
        #expect(TwilioFormEncoder.encode(TwilioUpdateCallRequest.hangUp.formFields) == "Status=completed")
    }

    @Test func transferTwiMLMatchesTheHelperLibraryAndEscapes() throws {
        let sip = TwiMLVoiceResponse([.dial(.init(target: .sip("sip:agent@example.sip.twilio.com"), callerID: "+15005550006"))])
        #expect(try sip.xml() == #"<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+15005550006"><Sip>sip:agent@example.sip.twilio.com</Sip></Dial></Response>"#)
        let transfer = TwiMLVoiceResponse.transfer(.init(target: .number("+15558675310"), callerID: "+15005550006", timeoutSeconds: 20), say: "Tom & \"Jerry\" <3")
        #expect(try transfer.xml() == #"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Tom &amp; "Jerry" &lt;3</Say><Dial callerId="+15005550006" timeout="20"><Number>+15558675310</Number></Dial><Hangup /></Response>"#)
        #expect(throws: TwiMLError.invalidSIPURI) { try TwiMLVoiceResponse([.dial(.init(target: .sip("+1555")))]).xml() }
        #expect(throws: TwiMLError.emptyDialTarget) { try TwiMLVoiceResponse([.dial(.init(target: .number(" ")))]).xml() }
        let stream = TwiMLStreamResponse(streamURL: "wss://w.example/ws/bot", parameters: [.init(name: "lead_id", value: "a\"<b>")])
        #expect(try TwiMLVoiceResponse.mediaStream(url: stream.streamURL, parameters: stream.parameters).xml()
            == #"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://w.example/ws/bot"><Parameter name="lead_id" value="a&quot;&lt;b&gt;" /></Stream></Connect><Hangup /></Response>"#)
    }

    @Test func requestsThatTwilioWouldRefuseAreRefusedBeforeSending() {
        #expect(throws: TwilioRESTError.self) { try TwilioCreateCallRequest(to: "", from: "+1", instructions: .twiml("<Response/>")).validate() }
        #expect(throws: TwilioRESTError.self) {
            try TwilioCreateCallRequest(to: "+1", from: "+1", instructions: .twiml(String(repeating: "x", count: 4001))).validate()
        }
        #expect(throws: TwilioRESTError.self) { try TwilioCreateCallRequest(to: "+1", from: "+1", instructions: .twiml("<Response/>"), timeoutSeconds: 601).validate() }
        #expect(throws: TwilioRESTError.self) { try TwilioCreateCallRequest(to: "+1", from: "+1", instructions: .url("ftp://x")).validate() }
    }
}

/// Status and AMD callbacks: verified with the worker's signature validator before a field is read.
@Suite struct TwilioStatusCallbackTests {
    static let body = "AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&ApiVersion=2010-04-01&CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=completed&CallDuration=42&Duration=1&Direction=outbound-api&From=%2B15017122661&To=%2B15558675310&CallbackSource=call-progress-events&SequenceNumber=3&Timestamp=Wed%2C+02+Sep+2026+10%3A00%3A41+%2B0000"
    static let url = "https://example.com/twilio/status"
    let verifier = TwilioCallbackVerifier(authToken: "12345")

    @Test func theReferenceCallbackIsAcceptedAndParsed() throws {
        let event = try verifier.event(url: Self.url, signature: "AhL/coVVDaezsnfyt+8RvPJzils=", body: Self.body)
        #expect(event.callSID == "CA0123456789abcdef0123456789abcdef")
        #expect(event.callStatus == .completed)
        #expect(event.callDuration == 42)
        #expect(event.sequenceNumber == 3)
        #expect(event.to == "+15558675310")
        #expect(event.timestamp == "Wed, 02 Sep 2026 10:00:41 +0000")
        #expect(!event.isMachineDetectionResult)
    }

    @Test func forgedChangedAndUnsignedCallbacksAreRefused() {
        #expect(throws: TwilioCallbackError.unsigned) { try verifier.event(url: Self.url, signature: nil, body: Self.body) }
        #expect(throws: TwilioCallbackError.unsigned) { try verifier.event(url: Self.url, signature: "", body: Self.body) }
        #expect(throws: TwilioCallbackError.forged) { try verifier.event(url: Self.url, signature: "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", body: Self.body) }
        // The right signature, but the body says "busy" instead of "completed".
        #expect(throws: TwilioCallbackError.forged) {
            try verifier.event(url: Self.url, signature: "AhL/coVVDaezsnfyt+8RvPJzils=", body: Self.body.replacingOccurrences(of: "CallStatus=completed", with: "CallStatus=busy"))
        }
        // Another URL (a callback replayed to another endpoint) or another token.
        #expect(throws: TwilioCallbackError.forged) { try verifier.event(url: "https://example.com/other", signature: "AhL/coVVDaezsnfyt+8RvPJzils=", body: Self.body) }
        #expect(throws: TwilioCallbackError.forged) {
            try TwilioCallbackVerifier(authToken: "54321").event(url: Self.url, signature: "AhL/coVVDaezsnfyt+8RvPJzils=", body: Self.body)
        }
        #expect(throws: TwilioCallbackError.bodyTooLarge(limit: 64 * 1024)) {
            try verifier.event(url: Self.url, signature: "x", body: String(repeating: "a", count: 64 * 1024 + 1))
        }
    }

    @Test func signedButMalformedCallbacksAreTypedErrors() {
        let signer = TwilioSignatureValidator(authToken: "12345")
        for body in ["CallStatus=completed", "CallSid=CA1&CallStatus=completed", "CallSid=CA0123456789abcdef0123456789abcdef"] {
            let signature = signer.signature(url: Self.url, parameters: TwilioSignatureValidator.formParameters(urlEncoded: body))
            #expect(throws: TwilioCallbackError.self) { try verifier.event(url: Self.url, signature: signature, body: body) }
        }
        let amd = "AccountSid=AC1&AnsweredBy=machine_end_beep&CallSid=CA0123456789abcdef0123456789abcdef&MachineDetectionDuration=99999999999999999999999"
        let signature = signer.signature(url: Self.url, parameters: TwilioSignatureValidator.formParameters(urlEncoded: amd))
        let event = try? verifier.event(url: Self.url, signature: signature, body: amd)
        #expect(event?.answeredBy == .machineEndBeep)
        #expect(event?.isMachineDetectionResult == true)
        #expect(event?.machineDetectionDurationMs == nil)  // absurd number dropped, no trap
    }
}
