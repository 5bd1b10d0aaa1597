import OpenAIServices
import SpeechServices
import Testing

@Suite("OpenAI chat stream decoding (recorded fixtures)")
struct OpenAIChatStreamDecoderTests {
    /// Tool-call stream shaped like OpenAI's SDK fixture, split into 7-byte pieces.
    @Test("recorded tool-call stream assembles one call")
    func recordedToolCall() throws {
        let fixture = [
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_c91","type":"function","function":{"name":"GetWeatherArgs","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"city"}}]},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\":\""}}]},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"Edinburgh\"}"}}]},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":76,"completion_tokens":24,"total_tokens":100,"completion_tokens_details":{"reasoning_tokens":0}}}"#,
            "[DONE]",
        ]
        let body = Array(fixture.map { "data: \($0)\n\n" }.joined().utf8)
        var parser = ServerSentEventParser()
        var decoder = OpenAIChatStreamDecoder(provider: "openai")
        var events: [LLMEvent] = []
        var offset = 0
        while offset < body.count {
            let end = min(offset + 7, body.count)
            for event in try parser.parse(body[offset..<end]) { events += try decoder.decode(data: event.data) }
            offset = end
        }
        try decoder.finish()
        let call = ToolCall(id: "call_c91", name: "GetWeatherArgs", argumentsJSON: "{\"city\":\"Edinburgh\"}")
        #expect(events.suffix(3) == [.toolCall(call), .finished(.toolCalls), .usage(TokenUsage(promptTokens: 76, completionTokens: 24, totalTokens: 100))])
        #expect(decoder.isDone)
    }

    @Test("length finish reason, and a stream cut before any finish reason")
    func finishReasons() throws {
        var decoder = OpenAIChatStreamDecoder(provider: "openai")
        let events = try decoder.decode(data: #"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"length"}]}"#)
        #expect(events == [.textDelta("Hi"), .finished(.length)])
        try decoder.finish()
        var cut = OpenAIChatStreamDecoder(provider: "openai")
        _ = try cut.decode(data: #"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#)
        #expect(throws: ProviderError.self) { try cut.finish() }
    }
}
