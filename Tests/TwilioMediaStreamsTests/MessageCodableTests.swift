import Foundation
import Testing
@testable import TwilioMediaStreams

@Suite("Codable message types")
struct MessageCodableTests {
    private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        let data = try JSONEncoder().encode(value)
        return try JSONDecoder().decode(T.self, from: data)
    }

    @Test("the reference examples decode with string counters and typed fields")
    func referenceExamples() throws {
        guard case .connected(let c) = try decode(TwilioInboundMessage.self, Fixtures.connected) else {
            Issue.record("not connected"); return
        }
        #expect(c.protocolName == "Call" && c.version == "1.0.0")

        guard case .start(let s) = try decode(TwilioInboundMessage.self, Fixtures.start) else {
            Issue.record("not start"); return
        }
        #expect(s.sequenceNumber == "1")
        #expect(s.start.callSid == "CA0123456789abcdef0123456789abcdef")
        #expect(s.start.tracks == ["inbound"])
        #expect(s.start.mediaFormat == .twilioDefault)
        #expect(s.start.customParameters == ["FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"])

        guard case .dtmf(let d) = try decode(TwilioInboundMessage.self, Fixtures.dtmf) else {
            Issue.record("not dtmf"); return
        }
        #expect(d.dtmf.digit == "1" && d.dtmf.track == "inbound_track" && d.sequenceNumber == "5")

        guard case .mark(let m) = try decode(TwilioInboundMessage.self, Fixtures.mark) else {
            Issue.record("not mark"); return
        }
        #expect(m.mark.name == "my label" && m.sequenceNumber == "4")

        guard case .stop(let st) = try decode(TwilioInboundMessage.self, Fixtures.stop) else {
            Issue.record("not stop"); return
        }
        #expect(st.stop.callSid == "CA0123456789abcdef0123456789abcdef")

        guard case .media(let me) = try decode(TwilioInboundMessage.self, Fixtures.media(seq: 4, chunk: 2, timestamp: 5)) else {
            Issue.record("not media"); return
        }
        #expect(me.media.chunk == "2" && me.media.timestamp == "5" && me.media.track == "inbound")
    }

    @Test("start without tracks or customParameters decodes them as empty")
    func startDefaults() throws {
        let text = #"{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#
        let message = try decode(TwilioStartMessage.self, text)
        #expect(message.start.tracks.isEmpty)
        #expect(message.start.customParameters.isEmpty)
    }

    @Test("every inbound message kind round-trips", arguments: [
        TwilioInboundMessage.connected(.init()),
        .start(.init(sequenceNumber: "1", streamSid: "MZ1", start: .init(
            accountSid: "AC1", streamSid: "MZ1", callSid: "CA1", customParameters: ["a": "b & \"c\""]))),
        .media(.init(sequenceNumber: "2", streamSid: "MZ1", media: .init(track: "inbound", chunk: "1", timestamp: "0", payload: "//8="))),
        .mark(.init(sequenceNumber: "3", streamSid: "MZ1", name: "turn-1.chunk-0")),
        .dtmf(.init(sequenceNumber: "4", streamSid: "MZ1", digit: "#")),
        .stop(.init(sequenceNumber: "5", streamSid: "MZ1", accountSid: "AC1", callSid: "CA1")),
    ])
    func inboundRoundTrip(message: TwilioInboundMessage) throws {
        #expect(try roundTrip(message) == message)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(message)) as? [String: Any]
        #expect(object?["event"] as? String == message.event.rawValue)
    }

    @Test("every outbound message kind round-trips and has the documented shape", arguments: [
        TwilioOutboundMessage.media(.init(streamSid: "MZ1", payload: "//8=")),
        .mark(.init(streamSid: "MZ1", name: "my label")),
        .clear(.init(streamSid: "MZ1")),
    ])
    func outboundRoundTrip(message: TwilioOutboundMessage) throws {
        #expect(try roundTrip(message) == message)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(message)) as? [String: Any])
        #expect(object["event"] as? String == message.event.rawValue)
        #expect(object["streamSid"] as? String == "MZ1")
        #expect(object["sequenceNumber"] == nil)
        switch message {
        case .media: #expect(Set(object.keys) == ["event", "streamSid", "media"])
        case .mark: #expect(Set(object.keys) == ["event", "streamSid", "mark"])
        case .clear: #expect(Set(object.keys) == ["event", "streamSid"])
        }
    }

    @Test("decoding rejects events the other side never sends")
    func wrongDirection() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TwilioInboundMessage.self, from: Data(#"{"event":"clear","streamSid":"MZ1"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TwilioOutboundMessage.self, from: Data(Fixtures.stop.utf8))
        }
    }
}
