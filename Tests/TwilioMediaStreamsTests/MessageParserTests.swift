import Foundation
import NIOCore
import Testing
@testable import TwilioMediaStreams

/// Parses with a fresh payload buffer and returns the message and the payload bytes.
func parseBoth(
    _ parser: TwilioMessageParser, _ text: String, slow: Bool = false, bufferSize: Int = 8000
) -> Result<(TwilioParsedMessage, [UInt8]), TwilioMessageError> {
    var payload = [UInt8](repeating: 0, count: bufferSize)
    var bytes = Array(text.utf8)
    let result = bytes.withUnsafeMutableBytes { raw in
        payload.withUnsafeMutableBufferPointer { out in
            Result { () throws(TwilioMessageError) in
                slow ? try parser.parseWithFoundation(UnsafeRawBufferPointer(raw), payloadInto: out)
                    : try parser.parse(UnsafeRawBufferPointer(raw), payloadInto: out)
            }
        }
    }
    return result.map { message in
        if case .media(let frame) = message { return (message, Array(payload[0..<frame.payloadByteCount])) }
        return (message, [])
    }
}

func sameOutcome(_ a: Result<(TwilioParsedMessage, [UInt8]), TwilioMessageError>, _ b: Result<(TwilioParsedMessage, [UInt8]), TwilioMessageError>) -> Bool {
    switch (a, b) {
    case (.success(let x), .success(let y)): x.0 == y.0 && x.1 == y.1
    case (.failure(let x), .failure(let y)): x == y
    default: false
    }
}

@Suite("Inbound parser")
struct MessageParserTests {
    let parser = TwilioMessageParser()

    @Test("media takes the fast path and decodes the payload into the caller's buffer")
    func fastMedia() throws {
        let text = Fixtures.media(seq: 4, chunk: 2, timestamp: 5)
        #expect(FastMediaScanner.scan(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
        let scanned = Array(text.utf8).withUnsafeBytes { FastMediaScanner.scan($0) != nil }
        #expect(scanned)
        let (message, payload) = try parseBoth(parser, text).get()
        #expect(message == .media(TwilioMediaFrame(sequenceNumber: 4, chunk: 2, timestamp: 5, track: .inbound, payloadByteCount: 160)))
        #expect(payload == Fixtures.frame)
    }

    @Test("ByteBuffer and String entry points agree")
    func entryPoints() throws {
        let text = Fixtures.media(seq: 9)
        var out = [UInt8](repeating: 0, count: 200)
        let a = try out.withUnsafeMutableBufferPointer { try parser.parse(ByteBuffer(string: text), payloadInto: $0) }
        let b = try out.withUnsafeMutableBufferPointer { try parser.parse(text, payloadInto: $0) }
        #expect(a == b)
        #expect(Array(out[0..<160]) == Fixtures.frame)
    }

    /// Valid media messages in shapes only the general path accepts, or that the fast path
    /// must also accept: both paths must give the same answer.
    static let validVariants: [String] = [
        Fixtures.media(seq: 2),
        // whitespace and key order
        " {\n \"streamSid\" : \"MZ1\" ,\"media\":{ \"payload\":\"//8=\", \"timestamp\":\"0\",\"chunk\":\"1\",\"track\":\"inbound\"},\t\"sequenceNumber\":\"2\",\"event\":\"media\"}\r\n",
        // escaped slash from an encoder that escapes "/"
        #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"\/\/8="},"streamSid":"MZ1"}"#,
        // unknown extra key
        #"{"event":"media","sequenceNumber":"3","extra":[1,2,{"x":null}],"media":{"track":"outbound","chunk":"2","timestamp":"20","payload":"AAAA"},"streamSid":"MZ1"}"#,
        // unicode escape in the stream id
        #"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"2","timestamp":"20","payload":"AAE="},"streamSid":"M\u005A1"}"#,
        // leading zeros
        #"{"event":"media","sequenceNumber":"0003","media":{"track":"inbound","chunk":"02","timestamp":"0020","payload":"AAECAw=="},"streamSid":"MZ1"}"#,
    ]

    @Test("fast path equals the JSONDecoder path on valid inputs", arguments: validVariants)
    func fastEqualsFoundation(text: String) throws {
        let fast = parseBoth(parser, text)
        let slow = parseBoth(parser, text, slow: true)
        #expect(sameOutcome(fast, slow))
        let (message, payload) = try fast.get()
        guard case .media(let frame) = message else { Issue.record("not media"); return }
        let decoded = try JSONDecoder().decode(TwilioMediaMessage.self, from: Data(text.utf8))
        #expect(frame.sequenceNumber == UInt64(decoded.sequenceNumber))
        #expect(frame.chunk == UInt64(decoded.media.chunk))
        #expect(frame.timestamp == UInt64(decoded.media.timestamp))
        #expect(frame.track.rawValue == decoded.media.track)
        #expect(payload == Array(try #require(Data(base64Encoded: decoded.media.payload))))
    }

    @Test("the other events decode through the general path")
    func otherEvents() throws {
        #expect(try parseBoth(parser, Fixtures.connected).get().0.event == .connected)
        #expect(try parseBoth(parser, Fixtures.start).get().0.event == .start)
        #expect(try parseBoth(parser, Fixtures.mark).get().0 == .mark(.init(sequenceNumber: "4", streamSid: Fixtures.sid, name: "my label")))
        #expect(try parseBoth(parser, Fixtures.dtmf).get().0.event == .dtmf)
        #expect(try parseBoth(parser, Fixtures.stop).get().0.event == .stop)
    }

    static let malformed: [(String, TwilioMessageError)] = [
        ("{\"event\":\"media\",", .malformedJSON(reason: "")),
        ("[1,2,3]", .malformedJSON(reason: "")),
        ("", .malformedJSON(reason: "")),
        (#"{"event":"hangup","streamSid":"MZ1"}"#, .unknownEvent("hangup")),
        (#"{"event":"clear","streamSid":"MZ1"}"#, .unknownEvent("clear")),
        (#"{"streamSid":"MZ1"}"#, .missingField(event: nil, field: "event")),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0"},"streamSid":"MZ1"}"#,
         .missingField(event: .media, field: "media.payload")),
        (#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#,
         .missingField(event: .start, field: "start.callSid")),
        (#"{"event":"media","sequenceNumber":"two","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AAAA"},"streamSid":"MZ1"}"#,
         .invalidField(event: .media, field: "sequenceNumber", reason: "not a decimal string")),
        (#"{"event":"media","sequenceNumber":2,"media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AAAA"},"streamSid":"MZ1"}"#,
         .invalidField(event: .media, field: "sequenceNumber", reason: "wrong JSON type")),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"both","chunk":"1","timestamp":"0","payload":"AAAA"},"streamSid":"MZ1"}"#,
         .invalidField(event: .media, field: "media.track", reason: "not inbound or outbound")),
        (#"{"event":"dtmf","sequenceNumber":"2","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"x"}}"#,
         .invalidField(event: .dtmf, field: "dtmf.digit", reason: "not a DTMF key")),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AA!A"},"streamSid":"MZ1"}"#,
         .invalidBase64(payloadLength: 4)),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"AAA"},"streamSid":"MZ1"}"#,
         .invalidBase64(payloadLength: 3)),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"A=AA"},"streamSid":"MZ1"}"#,
         .invalidBase64(payloadLength: 4)),
        (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":""},"streamSid":"MZ1"}"#,
         .invalidPayloadLength(byteCount: 0, maximum: 8000)),
    ]

    @Test("each malformed kind gets its typed error on both paths", arguments: 0..<malformed.count)
    func malformedInputs(index: Int) {
        let (text, expected) = Self.malformed[index]
        for slow in [false, true] {
            switch parseBoth(parser, text, slow: slow) {
            case .success(let value):
                Issue.record("accepted \(text): \(value.0)")
            case .failure(let error):
                if case .malformedJSON = expected {
                    guard case .malformedJSON = error else { Issue.record("\(text): \(error)"); continue }
                } else {
                    #expect(error == expected, "\(text)")
                }
            }
        }
    }

    @Test("payloads over the maximum, huge messages and small buffers are rejected before decoding")
    func sizeLimits() {
        let small = TwilioMessageParser(maximumMessageBytes: 1024, maximumPayloadBytes: 320)
        let big = Fixtures.media(seq: 2, payload: [UInt8](repeating: 0x55, count: 480))
        #expect(parseBoth(small, big).failureValue == .invalidPayloadLength(byteCount: 480, maximum: 320))
        let huge = Fixtures.media(seq: 2, payload: [UInt8](repeating: 0x55, count: 4000))
        #expect(parseBoth(small, huge).failureValue == .messageTooLarge(byteCount: huge.utf8.count, limit: 1024))
        #expect(parseBoth(parser, Fixtures.media(seq: 2), bufferSize: 100).failureValue
            == .payloadBufferTooSmall(required: 160, available: 100))
    }

    @Test("a different stream id is rejected once one is expected")
    func streamSidMismatch() {
        var p = TwilioMessageParser()
        p.expectStreamSid(Fixtures.sid)
        #expect(parseBoth(p, Fixtures.media(seq: 2)).failureValue == nil)
        #expect(parseBoth(p, Fixtures.media(seq: 2, sid: "MZother")).failureValue == .streamSidMismatch)
        #expect(parseBoth(p, Fixtures.media(seq: 2, sid: "MZother"), slow: true).failureValue == .streamSidMismatch)
        #expect(parseBoth(p, Fixtures.mark.replacingOccurrences(of: Fixtures.sid, with: "MZother")).failureValue == .streamSidMismatch)
    }

    @Test("seeded fuzz corpus: never crashes, and the fast path always equals the JSONDecoder path")
    func fuzz() {
        var rng = SplitMix64(state: 0x5EED_7111_0000_0006)
        let seeds = Self.validVariants + [Fixtures.connected, Fixtures.start, Fixtures.mark, Fixtures.dtmf, Fixtures.stop]
        let alphabet = Array(#"{}[]":,\ 0123456789eE+-.truefalsnul/=AZaz"#.utf8) + [0x00, 0x7F, 0xC3, 0xA9, 0xFF, 0x0A]
        var fastAccepted = 0
        var mismatches = 0
        for iteration in 0..<6000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            let edits = Int.random(in: 1...4, using: &rng)
            for _ in 0..<edits {
                guard !bytes.isEmpty else { break }
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng) ?? 0
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet.randomElement(using: &rng) ?? 0, at: at)
                case 3: bytes.removeSubrange(at..<bytes.count)
                case 4:
                    let end = min(bytes.count, at + Int.random(in: 1...12, using: &rng))
                    bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng))
                default: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            // Feed the raw bytes (possibly invalid UTF-8), not the repaired string.
            let fast = raw(bytes, slow: false)
            let slow = raw(bytes, slow: true)
            if case .success = fast { fastAccepted += 1 }
            if !sameOutcome(fast, slow) {
                mismatches += 1
                Issue.record("paths disagree on \(text): \(fast) vs \(slow)")
                if mismatches > 5 { return }
            }
        }
        #expect(fastAccepted > 50)
    }

    private func raw(_ bytes: [UInt8], slow: Bool) -> Result<(TwilioParsedMessage, [UInt8]), TwilioMessageError> {
        var payload = [UInt8](repeating: 0, count: 8000)
        let result = bytes.withUnsafeBytes { raw in
            payload.withUnsafeMutableBufferPointer { out in
                Result { () throws(TwilioMessageError) in
                    slow ? try parser.parseWithFoundation(raw, payloadInto: out) : try parser.parse(raw, payloadInto: out)
                }
            }
        }
        return result.map { message in
            if case .media(let frame) = message { return (message, Array(payload[0..<frame.payloadByteCount])) }
            return (message, [])
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
