/// A chat completion request: history plus tools and sampling limits.
public struct ChatRequest: Sendable, Equatable {
    /// The conversation so far, oldest first.
    public var messages: [ChatMessage]
    /// Functions the model may call.
    public var tools: [ToolDefinition]
    /// Sampling temperature, if set.
    public var temperature: Double?
    /// Maximum completion tokens, if set.
    public var maxTokens: Int?

    /// Creates a request.
    public init(messages: [ChatMessage], tools: [ToolDefinition] = [], temperature: Double? = nil, maxTokens: Int? = nil) {
        self.messages = messages
        self.tools = tools
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}
