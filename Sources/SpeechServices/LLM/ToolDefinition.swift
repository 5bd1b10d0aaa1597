/// A function the model may call.
public struct ToolDefinition: Sendable, Equatable, Codable {
    /// Function name.
    public var name: String
    /// What the function does, for the model.
    public var description: String
    /// JSON Schema of the arguments, as a JSON text (for example `{"type":"object","properties":{}}`).
    public var parametersJSONSchema: String

    /// Creates a tool definition.
    public init(name: String, description: String, parametersJSONSchema: String) {
        self.name = name
        self.description = description
        self.parametersJSONSchema = parametersJSONSchema
    }
}
