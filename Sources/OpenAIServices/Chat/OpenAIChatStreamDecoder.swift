import Foundation
import SpeechServices

/// Turns the `data:` payloads of a streamed chat completion into ``LLMEvent``s.
///
/// Text deltas pass through; tool-call fragments are emitted as deltas and assembled by
/// index into complete calls, which are emitted just before ``LLMEvent/finished(_:)``.
/// The usage chunk (sent with `stream_options.include_usage`) becomes ``LLMEvent/usage(_:)``.
/// An `error` object inside the stream becomes a ``ProviderError``.
public struct OpenAIChatStreamDecoder: Sendable {
    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                struct ToolCallFragment: Decodable {
                    struct Function: Decodable {
                        var name: String?
                        var arguments: String?
                    }
                    var index: Int
                    var id: String?
                    var function: Function?
                }
                var content: String?
                var tool_calls: [ToolCallFragment]?
            }
            var index: Int?
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
            var total_tokens: Int?
        }
        struct StreamError: Decodable {
            var message: String?
            var type: String?
            var code: String?
        }
        var choices: [Choice]?
        var usage: Usage?
        var error: StreamError?
    }

    /// Provider name used in errors.
    public let provider: String
    private var assembler = ToolCallAssembler()
    private let decoder = JSONDecoder()
    /// Whether `[DONE]` was received.
    public private(set) var isDone = false
    /// Whether a finish reason was received.
    public private(set) var isFinished = false

    /// Creates a decoder.
    public init(provider: String) {
        self.provider = provider
    }

    /// Decodes one event's data and returns the resulting events.
    public mutating func decode(data: String) throws(ProviderError) -> [LLMEvent] {
        var events: [LLMEvent] = []
        try decode(data: data) { events.append($0) }
        return events
    }

    /// Decodes one event's data and hands each resulting event to `emit`.
    public mutating func decode(data: String, emit: (LLMEvent) -> Void) throws(ProviderError) {
        if data.hasPrefix("[DONE]") {
            isDone = true
            return
        }
        let chunk: Chunk
        do {
            chunk = try decoder.decode(Chunk.self, from: Data(data.utf8))
        } catch {
            throw ProviderError(.malformedResponse, provider: provider, message: "stream chunk is not valid JSON: \(data.prefix(120))")
        }
        if let error = chunk.error {
            let code = error.code ?? error.type
            let kind: ProviderError.Kind = code == "insufficient_quota" ? .quotaExhausted : code == "rate_limit_exceeded" ? .rateLimited : .server
            throw ProviderError(kind, provider: provider, message: [code, error.message].compactMap { $0 }.joined(separator: ": "))
        }
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let content = choice.delta?.content, !content.isEmpty { emit(.textDelta(content)) }
            for fragment in choice.delta?.tool_calls ?? [] {
                let delta = ToolCallDelta(
                    index: fragment.index, id: fragment.id, name: fragment.function?.name,
                    argumentsFragment: fragment.function?.arguments ?? ""
                )
                assembler.add(delta)
                emit(.toolCallDelta(delta))
            }
            if let reason = choice.finish_reason {
                for call in try assembler.finish(provider: provider) { emit(.toolCall(call)) }
                isFinished = true
                emit(.finished(FinishReason(rawValue: reason)))
            }
        }
        if let usage = chunk.usage {
            let prompt = usage.prompt_tokens ?? 0
            let completion = usage.completion_tokens ?? 0
            emit(.usage(TokenUsage(promptTokens: prompt, completionTokens: completion, totalTokens: usage.total_tokens ?? prompt + completion)))
        }
    }

    /// Checks the end of the stream: a stream cut before its finish reason is an error
    /// (retryable as a connection failure if nothing was handed downstream yet).
    public func finish() throws(ProviderError) {
        guard isFinished || isDone else {
            throw ProviderError(.connection, provider: provider, message: "chat stream ended before a finish reason or [DONE]")
        }
    }
}
