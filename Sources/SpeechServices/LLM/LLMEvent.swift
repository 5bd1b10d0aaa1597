/// One event of a streamed chat completion.
public enum LLMEvent: Sendable, Equatable {
    /// A piece of assistant text.
    case textDelta(String)
    /// A fragment of a tool call as it streams in.
    case toolCallDelta(ToolCallDelta)
    /// A tool call whose fragments are complete (emitted before ``finished(_:)``).
    case toolCall(ToolCall)
    /// Why generation stopped; the last content event of a stream.
    case finished(FinishReason)
    /// Token counts, when the provider reports them (may follow ``finished(_:)``).
    case usage(TokenUsage)

    /// Whether this event is output that a consumer acts on (text or tool calls), which
    /// makes a retry unsafe once handed downstream.
    public var isOutput: Bool {
        switch self {
        case .textDelta(let text): return !text.isEmpty
        case .toolCallDelta, .toolCall: return true
        case .finished, .usage: return false
        }
    }
}

/// A complete function call requested by the model.
public struct ToolCall: Sendable, Equatable, Codable {
    /// Provider-assigned call id, echoed in the tool result message.
    public var id: String
    /// Function name.
    public var name: String
    /// Arguments as JSON text.
    public var argumentsJSON: String

    /// Creates a tool call.
    public init(id: String, name: String, argumentsJSON: String) {
        self.id = id
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// A streamed fragment of a tool call, keyed by `index`.
public struct ToolCallDelta: Sendable, Equatable {
    /// Position of the call within the message; fragments with the same index belong together.
    public var index: Int
    /// Call id (usually only on the first fragment).
    public var id: String?
    /// Function name (usually only on the first fragment).
    public var name: String?
    /// A piece of the arguments JSON text.
    public var argumentsFragment: String

    /// Creates a fragment.
    public init(index: Int, id: String? = nil, name: String? = nil, argumentsFragment: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.argumentsFragment = argumentsFragment
    }
}

/// Why the model stopped generating.
public enum FinishReason: Sendable, Equatable, Hashable {
    /// Natural end of the answer.
    case stop
    /// The token limit was hit.
    case length
    /// The model wants tool calls executed.
    case toolCalls
    /// Output was filtered.
    case contentFilter
    /// Any other reason string.
    case other(String)

    /// Maps a provider's reason string (OpenAI spelling).
    public init(rawValue: String) {
        switch rawValue {
        case "stop": self = .stop
        case "length": self = .length
        case "tool_calls", "function_call": self = .toolCalls
        case "content_filter": self = .contentFilter
        default: self = .other(rawValue)
        }
    }
}

/// Token counts of one completion.
public struct TokenUsage: Sendable, Equatable {
    /// Prompt (input) tokens.
    public var promptTokens: Int
    /// Completion (output) tokens.
    public var completionTokens: Int
    /// Total tokens.
    public var totalTokens: Int

    /// Creates usage counts.
    public init(promptTokens: Int, completionTokens: Int, totalTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }
}
