import CallResults
import Foundation
import Testing

@Suite("Webhook signatures")
struct ResultSignatureTests {
    let body = Array(#"{"a":1}"#.utf8)
    let sent = Date(timeIntervalSince1970: 1_767_225_600)

    @Test("the header is t=<seconds>,v1=<hex HMAC-SHA256 of \"t.body\">, matching an independent implementation")
    func knownVector() {
        // python3: hmac.new(b"whsec_test", b"1767225600." + b'{"a":1}', hashlib.sha256).hexdigest()
        #expect(
            ResultSignature.header(body: body, secret: "whsec_test", timestamp: sent)
                == "t=1767225600,v1=6d204545ff126a339c00513d93603299c984074ce1331c3537c3f6c976b49019"
        )
    }

    @Test("a genuine request verifies within the tolerance")
    func genuine() throws {
        let header = ResultSignature.header(body: body, secret: "whsec_test", timestamp: sent)
        try ResultSignature.verify(header: header, body: body, secret: "whsec_test", now: sent.addingTimeInterval(299))
        try ResultSignature.verify(header: header, body: Data(body), secret: "whsec_test", now: sent.addingTimeInterval(-5))
    }

    @Test("a tampered body, a wrong secret or a changed timestamp is rejected")
    func tampered() {
        let header = ResultSignature.header(body: body, secret: "whsec_test", timestamp: sent)
        #expect(throws: ResultSignatureError.signatureMismatch) {
            try ResultSignature.verify(header: header, body: Array(#"{"a":2}"#.utf8), secret: "whsec_test", now: sent)
        }
        #expect(throws: ResultSignatureError.signatureMismatch) {
            try ResultSignature.verify(header: header, body: body, secret: "whsec_other", now: sent)
        }
        let shifted = header.replacingOccurrences(of: "t=1767225600", with: "t=1767225601")
        #expect(throws: ResultSignatureError.signatureMismatch) {
            try ResultSignature.verify(header: shifted, body: body, secret: "whsec_test", now: sent)
        }
    }

    @Test("a replay outside the tolerance is rejected although the signature is genuine")
    func replay() {
        let header = ResultSignature.header(body: body, secret: "whsec_test", timestamp: sent)
        #expect(throws: ResultSignatureError.timestampOutsideTolerance) {
            try ResultSignature.verify(header: header, body: body, secret: "whsec_test", tolerance: .seconds(300), now: sent.addingTimeInterval(301))
        }
        #expect(throws: ResultSignatureError.timestampOutsideTolerance) {
            try ResultSignature.verify(header: header, body: body, secret: "whsec_test", tolerance: .seconds(300), now: sent.addingTimeInterval(-301))
        }
    }

    @Test("missing or malformed headers are rejected; one matching v1 of several is enough (secret rotation)")
    func headerForms() throws {
        #expect(throws: ResultSignatureError.missingHeader) { try ResultSignature.verify(header: nil, body: body, secret: "s", now: sent) }
        for bad in ["", "t=abc,v1=00", "v1=" + String(repeating: "0", count: 64), "t=1767225600", "t=1767225600,v1=xyz", "t=1,t=2,v1=00"] {
            #expect(throws: ResultSignatureError.malformedHeader) { try ResultSignature.verify(header: bad, body: body, secret: "s", now: sent) }
        }
        let genuine = ResultSignature.header(body: body, secret: "whsec_new", timestamp: sent)
        let rotated = "t=1767225600,v1=" + String(repeating: "ab", count: 32) + "," + genuine.split(separator: ",")[1]
        try ResultSignature.verify(header: rotated, body: body, secret: "whsec_new", now: sent)
    }
}
