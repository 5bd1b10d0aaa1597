import Testing
@testable import TwilioMediaStreams

/// Drives a session with strings and a reusable payload buffer.
struct SessionHarness {
    var session: TwilioStreamSession
    var payload = [UInt8](repeating: 0, count: 8000)
    let logs = LogCapture()

    init(configuration: TwilioStreamSessionConfiguration = .init()) {
        session = TwilioStreamSession(configuration: configuration, logger: logs.logger)
    }

    mutating func send(_ text: String) -> TwilioStreamEvent {
        payload.withUnsafeMutableBufferPointer { session.receive(text, payloadInto: $0) }
    }

    mutating func open() {
        _ = send(Fixtures.connected)
        _ = send(Fixtures.start)
    }
}

@Suite("Stream session")
struct StreamSessionTests {
    @Test("a normal stream: connected, start, media, mark, dtmf, stop")
    func lifecycle() {
        var h = SessionHarness()
        #expect(h.session.state == .awaitingConnected)
        guard case .connected = h.send(Fixtures.connected) else { Issue.record("connected"); return }
        guard case .started(let start) = h.send(Fixtures.start) else { Issue.record("start"); return }
        #expect(start.start.customParameters["FirstName"] == "Jane")
        #expect(h.session.state == .started(callSid: "CA0123456789abcdef0123456789abcdef", streamSid: Fixtures.sid))
        #expect(h.send(Fixtures.media(seq: 2)) == .media(.init(sequenceNumber: 2, chunk: 1, timestamp: 0, track: .inbound, payloadByteCount: 160)))
        #expect(Array(h.payload[0..<160]) == Fixtures.frame)
        #expect(h.send(Fixtures.media(seq: 3)) == .media(.init(sequenceNumber: 3, chunk: 2, timestamp: 20, track: .inbound, payloadByteCount: 160)))
        #expect(h.send(Fixtures.mark) == .markEchoed(name: "my label"))
        #expect(h.send(Fixtures.dtmf) == .dtmf(digit: "1"))
        guard case .stopped = h.send(Fixtures.stop.replacingOccurrences(of: "\"5\"", with: "\"6\"")) else {
            Issue.record("stop"); return
        }
        #expect(h.session.state == .stopped)
        #expect(h.session.counters.mediaFrames == 2)
        #expect(h.session.counters.mediaBytes == 320)
        #expect(h.session.counters.marksEchoed == 1 && h.session.counters.dtmfDigits == 1)
        #expect(h.session.counters.skippedMessages == 0)
        #expect(h.session.latestMediaTimestamp == 20)
    }

    @Test("sequencing errors are skipped, typed and counted")
    func sequencing() {
        var h = SessionHarness()
        h.open()
        _ = h.send(Fixtures.media(seq: 2))
        #expect(h.send(Fixtures.media(seq: 2)) == .rejected(.duplicateSequenceNumber(2), outcome: .skipFrame))
        _ = h.send(Fixtures.media(seq: 3))
        #expect(h.send(Fixtures.media(seq: 2)) == .rejected(.outOfOrderSequenceNumber(received: 2, last: 3), outcome: .skipFrame))
        // A gap is accepted but counted.
        guard case .media = h.send(Fixtures.media(seq: 7)) else { Issue.record("gap rejected"); return }
        #expect(h.session.counters.sequenceGaps == 1)
        #expect(h.session.counters.missingMessages == 3)
        #expect(h.session.counters.errorsByKind == ["duplicate_sequence_number": 1, "out_of_order_sequence_number": 1])
        #expect(h.session.counters.skippedMessages == 2)
        #expect(h.session.state == .started(callSid: "CA0123456789abcdef0123456789abcdef", streamSid: Fixtures.sid))
    }

    @Test("messages in the wrong state are skipped")
    func wrongState() {
        var h = SessionHarness()
        #expect(h.send(Fixtures.media(seq: 2)) == .rejected(.mediaBeforeStart, outcome: .skipFrame))
        #expect(h.send(Fixtures.mark) == .rejected(.eventBeforeStart(.mark), outcome: .skipFrame))
        _ = h.send(Fixtures.connected)
        #expect(h.send(Fixtures.connected) == .rejected(.unexpectedConnected, outcome: .skipFrame))
        _ = h.send(Fixtures.start)
        #expect(h.send(Fixtures.start) == .rejected(.duplicateStart, outcome: .skipFrame))
        _ = h.send(Fixtures.stop)
        #expect(h.send(Fixtures.media(seq: 9)) == .rejected(.messageAfterStop(.media), outcome: .skipFrame))
    }

    @Test("malformed messages get typed errors, a skip outcome, and a log line with call_sid")
    func malformedSkips() {
        var h = SessionHarness()
        h.open()
        let cases: [(String, String)] = [
            ("not json", "malformed_json"),
            (#"{"event":"hangup"}"#, "unknown_event"),
            (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0"},"streamSid":"MZ0123456789abcdef0123456789abcdef"}"#, "missing_field"),
            (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"%%%%"},"streamSid":"MZ0123456789abcdef0123456789abcdef"}"#, "bad_base64"),
            (#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":""},"streamSid":"MZ0123456789abcdef0123456789abcdef"}"#, "bad_payload_length"),
            (Fixtures.media(seq: 2, payload: [UInt8](repeating: 1, count: 9000)), "bad_payload_length"),
            ("{\"event\":\"media\",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}", "message_too_large"),
            (Fixtures.media(seq: 2, sid: "MZother"), "stream_sid_mismatch"),
        ]
        for (text, label) in cases {
            guard case .rejected(let error, let outcome) = h.send(text) else {
                Issue.record("accepted: \(text.prefix(60))"); continue
            }
            #expect(error.label == label)
            #expect(outcome == .skipFrame)
        }
        // The stream still works afterwards.
        guard case .media = h.send(Fixtures.media(seq: 2)) else { Issue.record("stream broken"); return }
        #expect(h.session.counters.skippedMessages == cases.count)
        let warnings = h.logs.all.filter { $0.message == "Rejected Twilio message" }
        #expect(warnings.count == cases.count)
        #expect(warnings.allSatisfy { $0.metadata["call_sid"] == "CA0123456789abcdef0123456789abcdef" && $0.level == .warning })
        #expect(Set(warnings.compactMap { $0.metadata["error"]?.description }) == Set(cases.map(\.1)))
    }

    @Test("a broken start or an unsupported format ends the call; later messages are refused")
    func endCall() {
        var h = SessionHarness()
        _ = h.send(Fixtures.connected)
        let alaw = Fixtures.start.replacingOccurrences(of: "audio/x-mulaw", with: "audio/x-alaw")
        guard case .rejected(.unsupportedMediaFormat(let format), .endCall) = h.send(alaw) else {
            Issue.record("format accepted"); return
        }
        #expect(format.encoding == "audio/x-alaw")
        #expect(h.session.state == .failed)
        #expect(h.send(Fixtures.media(seq: 2)) == .rejected(.sessionEnded, outcome: .endCall))
        #expect(h.logs.all.contains { $0.level == .error })

        var h2 = SessionHarness()
        let noCallSid = Fixtures.start.replacingOccurrences(of: "\"callSid\"", with: "\"callSidX\"")
        #expect(h2.send(noCallSid) == .rejected(.message(.missingField(event: .start, field: "start.callSid")), outcome: .endCall))
        #expect(h2.session.counters.endCallErrors == 1)
    }

    @Test("the error budget turns a run of skips into ending the call")
    func errorBudget() {
        var h = SessionHarness(configuration: .init(maximumConsecutiveErrors: 5, maximumTotalErrors: 8))
        h.open()
        for _ in 0..<4 {
            guard case .rejected(.message(.malformedJSON), .skipFrame) = h.send("garbage") else {
                Issue.record("early end"); return
            }
        }
        guard case .rejected(_, .endCall) = h.send("garbage") else { Issue.record("5th not fatal"); return }

        var h2 = SessionHarness(configuration: .init(maximumConsecutiveErrors: 5, maximumTotalErrors: 8))
        h2.open()
        var seq = 2
        var outcomes: [TwilioErrorOutcome] = []
        for _ in 0..<4 {
            for _ in 0..<2 {
                if case .rejected(_, let o) = h2.send("garbage") { outcomes.append(o) }
            }
            _ = h2.send(Fixtures.media(seq: seq))  // resets the consecutive count
            seq += 1
        }
        #expect(outcomes == Array(repeating: .skipFrame, count: 7) + [.endCall])
        #expect(h2.session.state == .failed)
    }
}
