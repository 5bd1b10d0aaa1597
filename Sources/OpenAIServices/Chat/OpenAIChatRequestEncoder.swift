import Foundation
import SpeechServices

/// Builds the JSON body of a streamed `POST /chat/completions`.
enum OpenAIChatRequestEncoder {
    static func encode(_ request: ChatRequest, configuration: OpenAIConfiguration) throws(ProviderError) -> [UInt8] {
        var body: [String: Any] = [
            "model": configuration.chatModel,
            "stream": true,
            "messages": request.messages.map(message),
        ]
        if configuration.includeChatUsage { body["stream_options"] = ["include_usage": true] }
        if let temperature = request.temperature { body["temperature"] = temperature }
        if let maxTokens = request.maxTokens { body[configuration.maxTokensField] = maxTokens }
        if !request.tools.isEmpty {
            var tools: [[String: Any]] = []
            for tool in request.tools {
                guard let parameters = try? JSONSerialization.jsonObject(with: Data(tool.parametersJSONSchema.utf8)) else {
                    throw ProviderError(
                        .invalidRequest, provider: configuration.providerName,
                        message: "tool \(tool.name) has a parameters schema that is not JSON"
                    )
                }
                tools.append([
                    "type": "function",
                    "function": ["name": tool.name, "description": tool.description, "parameters": parameters] as [String: Any],
                ])
            }
            body["tools"] = tools
        }
        do {
            return Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        } catch {
            throw ProviderError(.invalidRequest, provider: configuration.providerName, message: "cannot encode chat request: \(error)")
        }
    }

    private static func message(_ message: ChatMessage) -> [String: Any] {
        var result: [String: Any] = ["role": message.role.rawValue]
        if message.role == .assistant, !message.toolCalls.isEmpty {
            result["content"] = message.content.isEmpty ? NSNull() : message.content
            result["tool_calls"] = message.toolCalls.map { call -> [String: Any] in
                ["id": call.id, "type": "function", "function": ["name": call.name, "arguments": call.argumentsJSON]]
            }
        } else {
            result["content"] = message.content
        }
        if let toolCallID = message.toolCallID { result["tool_call_id"] = toolCallID }
        return result
    }
}
