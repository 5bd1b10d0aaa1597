import SpeechServices

/// An application tool the language model can call during a conversation.
///
/// The built-in tools (`end_call`, `transfer_call`, `update_lead`) are handled by the
/// engine itself; register your own with ``CallConversation``'s `tools` parameter.
public protocol CallTool: Sendable {
    /// Name, description and JSON-schema parameters shown to the model.
    var definition: ToolDefinition { get }
    /// Runs the tool. The returned text goes back to the model as the tool result.
    func invoke(argumentsJSON: String, call: CallIdentity) async -> String
}
