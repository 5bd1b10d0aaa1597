import Testing
import TwilioMediaStreams

@Suite("TwiML")
struct TwiMLTests {
    @Test("matches the helper library's output byte for byte")
    func reference() throws {
        let response = TwiMLStreamResponse(
            streamURL: "wss://example.com/media",
            parameters: [.init(name: "callToken", value: "abc123")],
            statusCallback: "https://example.com/stream-status",
            statusCallbackMethod: "POST")
        #expect(try response.xml() == #"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream statusCallback="https://example.com/stream-status" statusCallbackMethod="POST" url="wss://example.com/media"><Parameter name="callToken" value="abc123" /></Stream></Connect></Response>"#)
    }

    @Test("bot URL, escaping, say and no parameters")
    func escaping() throws {
        let url = TwiMLStreamResponse.streamURL(host: "calls.example.com", botId: "sales bot/1")
        #expect(url == "wss://calls.example.com/ws/sales%20bot%2F1")
        let response = TwiMLStreamResponse(
            streamURL: url,
            parameters: [.init(name: "note", value: #"<a & "b">"#)],
            sayBeforeConnect: "Hi & <welcome>")
        #expect(try response.xml() == #"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi &amp; &lt;welcome&gt;</Say><Connect><Stream url="wss://calls.example.com/ws/sales%20bot%2F1"><Parameter name="note" value="&lt;a &amp; &quot;b&quot;&gt;" /></Stream></Connect></Response>"#)
        #expect(try TwiMLStreamResponse(streamURL: "ws://127.0.0.1:8080/ws/b").xml()
            == #"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="ws://127.0.0.1:8080/ws/b" /></Connect></Response>"#)
    }

    @Test("refuses what Twilio refuses")
    func errors() {
        #expect(throws: TwiMLError.streamURLHasQuery) { try TwiMLStreamResponse(streamURL: "wss://x/ws/b?token=1").xml() }
        #expect(throws: TwiMLError.unsupportedStreamScheme("https://x/ws/b")) { try TwiMLStreamResponse(streamURL: "https://x/ws/b").xml() }
        #expect(throws: TwiMLError.emptyParameterName) {
            try TwiMLStreamResponse(streamURL: "wss://x/ws/b", parameters: [.init(name: "", value: "v")]).xml()
        }
        #expect(throws: TwiMLError.parameterTooLong(name: "n", length: 500)) {
            try TwiMLStreamResponse(streamURL: "wss://x/ws/b", parameters: [.init(name: "n", value: String(repeating: "v", count: 499))]).xml()
        }
    }
}
