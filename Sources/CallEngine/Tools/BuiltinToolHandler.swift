import SpeechServices

/// Decides what a built-in tool call does: pure, so the state machine can apply it.
enum BuiltinToolHandler {
    /// What the call does after the tool.
    enum Effect: Sendable, Equatable {
        /// Nothing beyond the result: the model goes on.
        case none
        /// End the call after the farewell (nil: the bot's goodbye line).
        case endCall(farewell: String?)
        /// Transfer the call to `target` after the current speech.
        case transfer(target: String)
    }

    /// The tool's result for the model and its effect on the call.
    struct Decision: Sendable, Equatable {
        var result: String
        var effect: Effect
    }

    /// Decides `tool` with `argumentsJSON`; `update_lead` applies valid fields to `lead`.
    static func decide(_ tool: BuiltinTool, argumentsJSON: String, lead: inout LeadData, schema: [LeadField]) -> Decision {
        switch tool {
        case .endCall:
            let farewell = BuiltinTool.arguments(argumentsJSON)?["farewell"].flatMap { $0.isEmpty ? nil : $0 }
            return Decision(result: #"{"ok":true}"#, effect: .endCall(farewell: farewell))
        case .transferCall:
            guard let target = BuiltinTool.arguments(argumentsJSON)?["target"], !target.isEmpty else {
                return Decision(result: #"{"ok":false,"error":"target is required"}"#, effect: .none)
            }
            return Decision(result: #"{"ok":true}"#, effect: .transfer(target: target))
        case .updateLead:
            do throws(CallEngineError) {
                guard let updates = BuiltinTool.arguments(argumentsJSON) else {
                    throw .invalidLeadField(name: "*", reason: "arguments are not a JSON object")
                }
                try lead.apply(updates, schema: schema)
                return Decision(result: #"{"ok":true}"#, effect: .none)
            } catch {
                return Decision(result: #"{"ok":false,"error":"# + BuiltinTool.jsonString("\(error)") + "}", effect: .none)
            }
        }
    }
}
