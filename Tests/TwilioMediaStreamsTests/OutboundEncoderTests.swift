import Foundation
import NIOCore
import Testing
@testable import TwilioMediaStreams

@Suite("Outbound encoder and base64")
struct OutboundEncoderTests {
    @Test("base64 matches Foundation for every length 0...300, and decodes back")
    func base64() {
        var rng = SplitMix64(state: 42)
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var out = [UInt8](repeating: 0, count: Base64Codec.encodedCount(length))
            bytes.withUnsafeBytes { src in out.withUnsafeMutableBytes { _ = Base64Codec.encode(src, into: $0) } }
            #expect(String(decoding: out, as: UTF8.self) == Data(bytes).base64EncodedString())
            var back = [UInt8](repeating: 0, count: length)
            let n = out.withUnsafeBytes { text in back.withUnsafeMutableBufferPointer { Base64Codec.decode(text, into: $0) } }
            #expect(n == length)
            #expect(back == bytes)
        }
    }

    @Test("base64 decoding is strict", arguments: ["A", "AB", "ABC", "A===", "AB=C", "AB\n=", "AB==AB==", "ABC-", "AB_=", "AR==", "ABF="])
    func strictBase64(text: String) {
        let bytes = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: 16)
        let n = bytes.withUnsafeBytes { t in out.withUnsafeMutableBufferPointer { Base64Codec.decode(t, into: $0) } }
        #expect(n == nil, "\(text)")
    }

    @Test("media messages decode as the documented shape; a reused buffer gives identical output")
    func media() throws {
        let encoder = TwilioOutboundEncoder(streamSid: "MZ\"quoted\"")
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        for round in 0..<3 {
            buffer.clear()
            let payload = Fixtures.frame.map { $0 &+ UInt8(round) }
            payload.withUnsafeBytes { encoder.encodeMedia($0, into: &buffer) }
            #expect(buffer.readableBytes == encoder.mediaMessageByteCount(payloadByteCount: 160))
            let message = try JSONDecoder().decode(TwilioOutboundMessage.self, from: Data(buffer.readableBytesView))
            #expect(message == .media(.init(streamSid: "MZ\"quoted\"", payload: Data(payload).base64EncodedString())))
        }
        #expect(String(buffer: buffer).hasPrefix(#"{"event":"media","streamSid":"MZ\"quoted\"","media":{"payload":""#))
        var raw = [UInt8](repeating: 0, count: 400)
        let last = Fixtures.frame.map { $0 &+ 2 }
        let n = try last.withUnsafeBytes { p in try raw.withUnsafeMutableBytes { try encoder.encodeMedia(p, into: $0) } }
        #expect(Array(raw[0..<n]) == Array(buffer.readableBytesView))
        #expect(throws: TwilioEncodingError.bufferTooSmall(required: n, available: 10)) {
            var tiny = [UInt8](repeating: 0, count: 10)
            _ = try Fixtures.frame.withUnsafeBytes { p in try tiny.withUnsafeMutableBytes { try encoder.encodeMedia(p, into: $0) } }
        }
    }

    @Test("mark and clear messages decode as documented")
    func markAndClear() throws {
        let encoder = TwilioOutboundEncoder(streamSid: "MZ1")
        let mark = try JSONDecoder().decode(TwilioOutboundMessage.self, from: Data(encoder.markText(name: "turn-1.chunk-0 \"x\"\n").utf8))
        #expect(mark == .mark(.init(streamSid: "MZ1", name: "turn-1.chunk-0 \"x\"\n")))
        let clear = try JSONDecoder().decode(TwilioOutboundMessage.self, from: Data(encoder.clearText().utf8))
        #expect(clear == .clear(.init(streamSid: "MZ1")))
        #expect(encoder.clearText() == #"{"event":"clear","streamSid":"MZ1"}"#)
    }
}
