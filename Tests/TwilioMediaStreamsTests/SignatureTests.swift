import Foundation
import Testing
import TwilioMediaStreams

/// Every vector of protocols.md §2.2 and §1.6.
@Suite("X-Twilio-Signature")
struct SignatureTests {
    let validator = TwilioSignatureValidator(authToken: "12345")
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    let params: [String: [String]] = [
        "CallSid": ["CA1234567890ABCDE"], "Caller": ["+14158675309"], "Digits": ["1234"],
        "From": ["+14158675309"], "To": ["+18005551212"],
    ]

    @Test("the signed string and the base vector")
    func baseVector() throws {
        #expect(TwilioSignatureValidator.signedString(url: url, parameters: params)
            == "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212")
        #expect(validator.signature(url: url, parameters: params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(validator.isValid(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: params))
        try validator.validate(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: params)
    }

    @Test("port variants")
    func ports() {
        #expect(validator.signature(url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", parameters: params) == "kvajT1Ptam85bY51eRf/AJRuM3w=")
        #expect(validator.isValid(signature: "kvajT1Ptam85bY51eRf/AJRuM3w=", url: url, parameters: params))
        #expect(validator.isValid(signature: "0ZXoZLH/DfblKGATFgpif+LLRf4=", url: "http://mycompany.com/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.signature(url: "http://mycompany.com:80/myapp.php?foo=1&bar=2", parameters: params) == "0ZXoZLH/DfblKGATFgpif+LLRf4=")
        #expect(validator.isValid(signature: "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", url: "http://mycompany.com:1234/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.isValid(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: "https://mycompany.com:1234/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.isValid(signature: "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=", url: "http://mycompany.com/myapp.php?foo=1&bar=2", parameters: params))
        // A signature for one port does not validate another explicit port.
        #expect(!validator.isValid(signature: "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", url: "http://mycompany.com:4321/myapp.php?foo=1&bar=2", parameters: params))
    }

    @Test("fuzz finding: a URL with an empty port (host:/path) validates the signature made for it, and only that")
    func emptyPort() throws {
        // Found by Fuzz/FuzzTwilioForm: neither the port-less nor the default-port spelling
        // equals "wss://exam:/…", so a signature over the URL as given never validated.
        let url = "wss://exam:/twiml/demobcdef&bot=demo+?x=1"
        let signature = validator.signature(url: url, parameters: params)
        #expect(validator.isValid(signature: signature, url: url, parameters: params))
        try validator.validateWebSocketUpgrade(signature: validator.signature(url: url), url: url)
        // The port-less and default-port spellings still validate as before; other hosts do not.
        #expect(validator.isValid(signature: validator.signature(url: "wss://exam/twiml/demobcdef&bot=demo+?x=1", parameters: params),
                                  url: url, parameters: params))
        #expect(!validator.isValid(signature: signature, url: "wss://exama:/twiml/demobcdef&bot=demo+?x=1", parameters: params))
        #expect(!validator.isValid(signature: signature, url: url, parameters: [:]))
    }

    @Test("repeated keys, array params, raw apostrophe, user info")
    func specialCases() {
        #expect(validator.isValid(signature: "IK+Dwps556ElfBT0I3Rgjkr1wJU=", url: url, parameters: [
            (name: "Sid", value: "CA123"), (name: "SidAccount", value: "AC123"),
            (name: "Digits", value: "5678"), (name: "Digits", value: "1234"), (name: "Digits", value: "1234"),
        ]))
        #expect(TwilioSignatureValidator.signedString(url: url, parameters: ["Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]])
            == url + "Digits1234Digits5678SidCA123SidAccountAC123")
        for order in [["+1325xxxxxxx", "+1415xxxxxxx"], ["+1415xxxxxxx", "+1325xxxxxxx"]] {
            #expect(validator.isValid(signature: "83O6e2vORAoJHUNzJjDWN1jz+BA=", url: url, parameters: ["MessagingBinding.Address": order]))
        }
        #expect(validator.isValid(signature: "dsq4Ehbj6cs+KdTkpF5sSSplOWw=", url: url + "&Body=It's+amazing", parameters: params))
        #expect(validator.isValid(signature: "CukzLTc1tT5dXEDIHm/tKBanW10=", url: "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.isValid(signature: "2YRLlVAflCqxaNicjMpJcSTgzSs=", url: "https://user@mycompany.com/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.isValid(signature: "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=", url: "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", parameters: params))
        #expect(validator.isValid(signature: "CukzLTc1tT5dXEDIHm/tKBanW10=", url: "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", parameters: params))
    }

    @Test("JSON bodies with bodySHA256")
    func jsonBody() throws {
        let body = Data(#"{"property": "value", "boolean": true}"#.utf8)
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        let bodyURL = url + "&bodySHA256=" + hash
        try validator.validate(signature: "a9nBmqA0ju/hNViExpshrM61xv4=", url: bodyURL, body: body)
        #expect(validator.isValid(signature: "y77kIzt2vzLz71DgmJGsen2scGs=", url: "https://mycompany.com/myapp.php?bodySHA256=" + hash, body: body))
        let empty = Data("{}".utf8)
        let emptyHash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        #expect(validator.isValid(signature: "Ldidvp12m26NI7eqEvxnEpkd9Hc=", url: url + "&bodySHA256=" + emptyHash, body: empty))
        // Failures twilio-node requires.
        #expect(throws: TwilioSignatureError.missingBodyHash) {
            try validator.validate(signature: "a9nBmqA0ju/hNViExpshrM61xv4=", url: url, body: body)
        }
        #expect(throws: TwilioSignatureError.bodyHashMismatch) {
            try validator.validate(signature: "a9nBmqA0ju/hNViExpshrM61xv4=", url: bodyURL, body: Data("{}".utf8))
        }
        #expect(throws: TwilioSignatureError.missingSignature) {
            try validator.validate(signature: nil, url: bodyURL, body: body)
        }
    }

    @Test("the WebSocket upgrade is signed over the wss:// URL with no parameters")
    func webSocket() throws {
        try validator.validateWebSocketUpgrade(signature: "7PR3qMkpDyEJtMrVOY/LDyNq8J8=", url: "wss://example.com/media")
        let seen = TwilioSignatureValidator.webSocketURL(
            scheme: TwilioSignatureValidator.firstForwardedValue("https, http") ?? "http",
            host: "example.com", requestTarget: "/media")
        #expect(seen == "wss://example.com/media")
        #expect(TwilioSignatureValidator.webSocketURL(scheme: "http", host: "127.0.0.1:8080", requestTarget: "ws/bot") == "ws://127.0.0.1:8080/ws/bot")
        try validator.validateWebSocketUpgrade(signature: "7PR3qMkpDyEJtMrVOY/LDyNq8J8=", url: seen)
        #expect(throws: TwilioSignatureError.signatureMismatch) {
            try validator.validateWebSocketUpgrade(signature: "7PR3qMkpDyEJtMrVOY/LDyNq8J8=", url: "https://example.com/media")
        }
    }

    @Test("forged, malformed and missing signatures are rejected with typed errors")
    func forged() {
        #expect(throws: TwilioSignatureError.missingSignature) { try validator.validate(signature: nil, url: url, parameters: params) }
        #expect(throws: TwilioSignatureError.missingSignature) { try validator.validate(signature: "", url: url, parameters: params) }
        #expect(throws: TwilioSignatureError.signatureMismatch) { try validator.validate(signature: "not base64!", url: url, parameters: params) }
        #expect(throws: TwilioSignatureError.signatureMismatch) { try validator.validate(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B9=", url: url, parameters: params) }
        var tampered = params
        tampered["To"] = ["+18005551213"]
        #expect(!validator.isValid(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: tampered))
        #expect(!TwilioSignatureValidator(authToken: "54321").isValid(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: params))
    }

    @Test("form bodies decode to parameters that validate")
    func formBody() {
        let body = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
        let decoded = TwilioSignatureValidator.formParameters(urlEncoded: body)
        #expect(decoded == params)
        #expect(validator.isValid(signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url: url, parameters: decoded))
        #expect(TwilioSignatureValidator.formParameters(urlEncoded: "a=b+c&a=%41&e") == ["a": ["b c", "A"], "e": [""]])
    }
}
