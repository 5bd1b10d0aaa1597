/// One message of a chat history.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// Who wrote the message.
    public enum Role: String, Sendable, Equatable, Codable {
        /// Instructions for the model.
        case system
        /// The caller.
        case user
        /// The agent (model output).
        case assistant
        /// The result of a tool call.
        case tool
    }

    /// Who wrote it.
    public var role: Role
    /// Text content (may be empty for assistant messages that only call tools).
    public var content: String
    /// Tool calls the assistant made in this message.
    public var toolCalls: [ToolCall]
    /// For `tool` messages: the id of the call this answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A system message.
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: text) }
    /// A user message.
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: text) }
    /// An assistant message.
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: .assistant, content: text, toolCalls: toolCalls)
    }
    /// A tool result answering call `id`.
    public static func tool(callID: String, result: String) -> ChatMessage {
        ChatMessage(role: .tool, content: result, toolCallID: callID)
    }
}
