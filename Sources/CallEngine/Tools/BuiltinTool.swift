import Foundation
import SpeechServices

/// The tools every call has.
enum BuiltinTool: String, CaseIterable {
    case endCall = "end_call"
    case transferCall = "transfer_call"
    case updateLead = "update_lead"

    /// The definition shown to the model; `update_lead` lists the bot's lead fields.
    static func definition(_ tool: BuiltinTool, leadSchema: [LeadField]) -> ToolDefinition? {
        switch tool {
        case .endCall:
            return ToolDefinition(
                name: tool.rawValue,
                description: "End the call politely when the conversation is over. Optionally give the farewell sentence to say.",
                parametersJSONSchema: #"{"type":"object","properties":{"farewell":{"type":"string"}},"additionalProperties":false}"#
            )
        case .transferCall:
            return ToolDefinition(
                name: tool.rawValue,
                description: "Transfer the caller to a human or another number.",
                parametersJSONSchema: #"{"type":"object","properties":{"target":{"type":"string"},"reason":{"type":"string"}},"required":["target"],"additionalProperties":false}"#
            )
        case .updateLead:
            guard !leadSchema.isEmpty else { return nil }
            let properties = leadSchema.map { field -> String in
                var schema = #"{"type":"string","description":"# + jsonString(field.description.isEmpty ? field.type.rawValue : field.description)
                if field.type == .choice { schema += #","enum":["# + field.allowedValues.map(jsonString).joined(separator: ",") + "]" }
                return jsonString(field.name) + ":" + schema + "}"
            }
            return ToolDefinition(
                name: tool.rawValue,
                description: "Record what you learned about the caller. Only the listed fields are accepted.",
                parametersJSONSchema: #"{"type":"object","properties":{"# + properties.joined(separator: ",") + #"},"additionalProperties":false}"#
            )
        }
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses a tool's JSON arguments into string values (numbers and booleans as text).
    static func arguments(_ json: String) -> [String: String]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        var result: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: result[key] = text
            case let number as NSNumber: result[key] = number.stringValue
            default: result[key] = "\(value)"
            }
        }
        return result
    }
}
