import SpeechServices

/// A ``LanguageModel`` that plays scripted responses: fixed replies, fixed latencies and
/// injectable failures. Each call takes the next queued response, or the default one.
public final class ScriptedLanguageModel: LanguageModel {
    /// Name and model reported to the resilience layer.
    public let descriptor: ProviderDescriptor
    private let clock: any ResilienceClock
    private let script: ScriptQueue<ScriptedResponse<LLMEvent>, ChatRequest>

    /// Creates a model whose default answer is `defaultReply` as word-by-word text.
    public init(
        name: String = "scripted-llm",
        model: String = "scripted",
        defaultReply: String = "Hello! How can I help you today?",
        clock: any ResilienceClock = SystemResilienceClock()
    ) {
        descriptor = ProviderDescriptor(name: name, model: model)
        self.clock = clock
        script = ScriptQueue(default: Self.reply(defaultReply))
    }

    /// A response streaming `text` in word-sized deltas, then `stop` and usage.
    public static func reply(_ text: String, firstTokenDelay: Duration = .zero, interTokenDelay: Duration = .zero) -> ScriptedResponse<LLMEvent> {
        var events: [LLMEvent] = []
        var word = ""
        for character in text {
            word.append(character)
            if character == " " {
                events.append(.textDelta(word))
                word = ""
            }
        }
        if !word.isEmpty { events.append(.textDelta(word)) }
        events.append(.finished(.stop))
        let tokens = events.count - 1
        events.append(.usage(TokenUsage(promptTokens: 10, completionTokens: tokens, totalTokens: 10 + tokens)))
        return ScriptedResponse(elements: events, firstElementDelay: firstTokenDelay, interElementDelay: interTokenDelay)
    }

    /// A response that calls one tool (arguments streamed in two fragments).
    public static func toolCall(id: String = "call_1", name: String, argumentsJSON: String) -> ScriptedResponse<LLMEvent> {
        let middle = argumentsJSON.index(argumentsJSON.startIndex, offsetBy: argumentsJSON.count / 2)
        let first = String(argumentsJSON[..<middle])
        let second = String(argumentsJSON[middle...])
        return ScriptedResponse(elements: [
            .toolCallDelta(ToolCallDelta(index: 0, id: id, name: name, argumentsFragment: first)),
            .toolCallDelta(ToolCallDelta(index: 0, argumentsFragment: second)),
            .toolCall(ToolCall(id: id, name: name, argumentsJSON: argumentsJSON)),
            .finished(.toolCalls),
        ])
    }

    /// Queues responses for the next calls.
    public func enqueue(_ responses: ScriptedResponse<LLMEvent>...) {
        script.enqueue(responses)
    }

    /// Replaces the default response.
    public func setDefault(_ response: ScriptedResponse<LLMEvent>) {
        script.setDefault(response)
    }

    /// Requests received so far, in order.
    public var requests: [ChatRequest] { script.requests }
    /// Number of calls received.
    public var callCount: Int { script.requests.count }

    /// Plays the next response.
    public func stream(_ request: ChatRequest, context: ProviderCallContext) -> ProviderStream<LLMEvent> {
        let script = self.script
        let clock = self.clock
        let name = descriptor.name
        return ProviderStream(provider: name) { continuation throws(ProviderError) in
            try await script.next(for: request).play(into: continuation, clock: clock, provider: name)
        }
    }
}
