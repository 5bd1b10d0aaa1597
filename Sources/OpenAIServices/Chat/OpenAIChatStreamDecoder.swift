import Foundation
import SpeechServices

/// Turns the `data:` payloads of a streamed chat completion into ``LLMEvent``s.
///
/// Text deltas pass through; tool-call fragments are emitted as deltas and assembled by
/// index into complete calls, which are emitted just before ``LLMEvent/finished(_:)``.
/// The usage chunk (sent with `stream_options.include_usage`) becomes ``LLMEvent/usage(_:)``.
/// An `error` object inside the stream becomes a ``ProviderError``.
///
/// Numbers from the stream are checked: token counts are clamped to 0 through
/// ``maxTokenCount`` (so sums downstream cannot overflow), and a tool-call index outside
/// 0 ..< ``maxToolCalls`` is a malformed response. Reply text plus
/// tool-call arguments beyond ``maxReplyCharacters`` fail as a malformed response (an
/// endless stream of deltas).
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
    /// Most reply characters (text and tool-call arguments) accepted.
    public let maxReplyCharacters: Int
    /// Reply characters received so far.
    public private(set) var replyCharacters = 0
    /// Largest token count passed on from a usage chunk (10 million).
    public static let maxTokenCount = 10_000_000
    /// Tool calls accepted per stream (indexes outside `0..<maxToolCalls` are malformed).
    public static let maxToolCalls = 64
    private var assembler = ToolCallAssembler()
    private let decoder = JSONDecoder()
    /// Whether `[DONE]` was received.
    public private(set) var isDone = false
    /// Whether a finish reason was received.
    public private(set) var isFinished = false

    /// Creates a decoder.
    public init(provider: String) {
        self.init(provider: provider, maxReplyCharacters: 32_768)
    }

    /// Creates a decoder that accepts at most `maxReplyCharacters` of reply.
    public init(provider: String, maxReplyCharacters: Int) {
        self.provider = provider
        self.maxReplyCharacters = max(1, maxReplyCharacters)
    }

    private mutating func count(_ text: String) throws(ProviderError) {
        replyCharacters += min(text.utf8.count, maxReplyCharacters + 1)
        guard replyCharacters <= maxReplyCharacters else {
            throw ProviderError(.malformedResponse, provider: provider, message: "chat reply exceeds \(maxReplyCharacters) characters")
        }
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
            if let content = choice.delta?.content, !content.isEmpty {
                try count(content)
                emit(.textDelta(content))
            }
            for fragment in choice.delta?.tool_calls ?? [] {
                guard (0..<Self.maxToolCalls).contains(fragment.index) else {
                    throw ProviderError(.malformedResponse, provider: provider, message: "tool call index \(fragment.index) out of range")
                }
                try count(fragment.function?.arguments ?? "")
                try count(fragment.function?.name ?? "")
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
            let limit = Self.maxTokenCount
            let prompt = NetworkNumber.count(usage.prompt_tokens ?? 0, maximum: limit)
            let completion = NetworkNumber.count(usage.completion_tokens ?? 0, maximum: limit)
            let total = usage.total_tokens.map { NetworkNumber.count($0, maximum: 2 * limit) } ?? prompt + completion
            emit(.usage(TokenUsage(promptTokens: prompt, completionTokens: completion, totalTokens: total)))
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
