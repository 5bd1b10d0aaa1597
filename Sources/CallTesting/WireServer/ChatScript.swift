import Foundation
import SpeechServices

/// What a scripted chat completion streams: text deltas and/or tool calls, the finish
/// reason and the usage chunk, framed exactly like OpenAI's `chat.completion.chunk` events.
public struct ChatScript: Sendable, Equatable {
    /// Text deltas, one event each.
    public var textDeltas: [String]
    /// Tool calls; each is streamed as a first fragment (id, name) plus argument fragments.
    public var toolCalls: [ToolCall]
    /// Argument fragment size in characters.
    public var argumentFragmentLength: Int
    /// `finish_reason` of the last content chunk (default `stop`, or `tool_calls` when there are tool calls).
    public var finishReason: String
    /// Usage sent in the final chunk when the request asked for it.
    public var usage: TokenUsage
    /// Send `data: [DONE]` at the end.
    public var sendsDone: Bool

    /// A text delta may contain this placeholder: the wire server replaces it with the
    /// request's number, so every reply is a different text (a phrase cache cannot answer it).
    public static let requestNumberPlaceholder = "{request}"

    /// Creates a script.
    public init(
        textDeltas: [String] = [],
        toolCalls: [ToolCall] = [],
        argumentFragmentLength: Int = 8,
        finishReason: String? = nil,
        usage: TokenUsage = TokenUsage(promptTokens: 12, completionTokens: 8, totalTokens: 20),
        sendsDone: Bool = true
    ) {
        self.textDeltas = textDeltas
        self.toolCalls = toolCalls
        self.argumentFragmentLength = max(1, argumentFragmentLength)
        self.finishReason = finishReason ?? (toolCalls.isEmpty ? "stop" : "tool_calls")
        self.usage = usage
        self.sendsDone = sendsDone
    }

    /// A reply streamed word by word.
    public static func text(_ text: String) -> ChatScript {
        var deltas: [String] = []
        var word = ""
        for character in text {
            word.append(character)
            if character == " " {
                deltas.append(word)
                word = ""
            }
        }
        if !word.isEmpty { deltas.append(word) }
        return ChatScript(textDeltas: deltas)
    }

    /// The `data:` payloads, in order (without the `data: ` prefix), ending with `[DONE]` if enabled.
    func eventPayloads(model: String, includeUsage: Bool, requestNumber: Int = 0) -> [String] {
        let head = "{\"id\":\"chatcmpl-wire\",\"object\":\"chat.completion.chunk\",\"created\":1727346173,\"model\":\(JSONText.string(model)),"
        func choice(_ delta: String, finish: String? = nil) -> String {
            let reason = finish.map { JSONText.string($0) } ?? "null"
            return head + "\"choices\":[{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(reason)}]}"
        }
        var payloads = [choice("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}")]
        let number = String(requestNumber)
        for delta in textDeltas {
            let text = delta.contains(Self.requestNumberPlaceholder) ? delta.replacingOccurrences(of: Self.requestNumberPlaceholder, with: number) : delta
            payloads.append(choice("{\"content\":\(JSONText.string(text))}"))
        }
        for (index, call) in toolCalls.enumerated() {
            payloads.append(choice(
                "{\"tool_calls\":[{\"index\":\(index),\"id\":\(JSONText.string(call.id)),\"type\":\"function\",\"function\":{\"name\":\(JSONText.string(call.name)),\"arguments\":\"\"}}]}"
            ))
            var rest = Substring(call.argumentsJSON)
            while !rest.isEmpty {
                let piece = rest.prefix(argumentFragmentLength)
                rest = rest.dropFirst(piece.count)
                payloads.append(choice("{\"tool_calls\":[{\"index\":\(index),\"function\":{\"arguments\":\(JSONText.string(String(piece)))}}]}"))
            }
        }
        payloads.append(choice("{}", finish: finishReason))
        if includeUsage {
            payloads.append(
                head + "\"choices\":[],\"usage\":{\"prompt_tokens\":\(usage.promptTokens),\"completion_tokens\":\(usage.completionTokens),\"total_tokens\":\(usage.totalTokens)}}"
            )
        }
        if sendsDone { payloads.append("[DONE]") }
        return payloads
    }
}

/// JSON string literals for the wire server's hand-built bodies (JSONEncoder does the escaping).
enum JSONText {
    static func string(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
