import SpeechServices
import Testing

@Suite("Server-sent event parser")
struct ServerSentEventParserTests {
    func parseAll(_ text: String, splitEvery size: Int) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        let bytes = Array(text.utf8)
        var events: [ServerSentEvent] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + size, bytes.count)
            events += try parser.parse(bytes[offset..<end])
            offset = end
        }
        return events
    }

    @Test("events split anywhere across chunks, including inside CRLF and UTF-8", arguments: [1, 2, 3, 5, 1000])
    func splitAcrossChunks(size: Int) throws {
        let text = "data: {\"a\":\"é😀\"}\r\n\r\ndata: second\r\n\r\ndata: [DONE]\r\n\r\n"
        let events = try parseAll(text, splitEvery: size)
        #expect(events.map(\.data) == ["{\"a\":\"é😀\"}", "second", "[DONE]"])
    }

    @Test("LF, CRLF and bare CR line ends")
    func lineEnds() throws {
        #expect(try parseAll("data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\r\n", splitEvery: 4).map(\.data) == ["a", "b", "c", "d"])
    }

    @Test("comments are ignored and several data lines are joined with newlines")
    func commentsAndMultipleDataLines() throws {
        let events = try parseAll(": keep-alive\n\ndata: first\ndata:second\n: note\ndata:  third\n\n", splitEvery: 7)
        #expect(events == [ServerSentEvent(data: "first\nsecond\n third")])
    }

    @Test("event, id and retry fields; empty events are dropped; BOM is skipped")
    func fields() throws {
        let events = try parseAll("\u{FEFF}event: speech.audio.delta\nid: 7\nretry: 1500\ndata: x\n\nevent: nothing\n\ndata\n\n", splitEvery: 2)
        #expect(events == [
            ServerSentEvent(event: "speech.audio.delta", data: "x", id: "7", retry: 1500),
            ServerSentEvent(event: nil, data: "", id: "7", retry: 1500),
        ])
    }

    @Test("an unfinished event is reported as partial, not dispatched")
    func partialEvent() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.parse(Array("data: {\"choices\":[{\"delta\":{\"content\":\"Hel".utf8)).isEmpty)
        #expect(parser.hasPartialEvent)
        #expect(try parser.parse(Array("lo\"}}]}\n".utf8)).isEmpty)
        #expect(parser.hasPartialEvent)
        #expect(try parser.parse(Array("\n".utf8)).count == 1)
        #expect(!parser.hasPartialEvent)
    }

    @Test("over-long lines are rejected with a typed error")
    func limits() {
        var parser = ServerSentEventParser(maxLineBytes: 16, maxEventBytes: 32)
        #expect(throws: ServerSentEventParser.ParseError.lineTooLong(limit: 16)) {
            _ = try parser.parse(Array("data: 0123456789abcdef\n".utf8))
        }
        var eventLimit = ServerSentEventParser(maxLineBytes: 64, maxEventBytes: 8)
        #expect(throws: ServerSentEventParser.ParseError.eventTooLarge(limit: 8)) {
            _ = try eventLimit.parse(Array("data: 12345\ndata: 6789\n".utf8))
        }
    }
}
