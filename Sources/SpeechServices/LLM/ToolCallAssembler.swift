/// Assembles streamed ``ToolCallDelta``s into complete ``ToolCall``s, keyed by index.
///
/// The first fragment of an index carries id and name; argument fragments are concatenated.
public struct ToolCallAssembler: Sendable {
    private struct Partial: Sendable {
        var id: String?
        var name: String?
        var arguments: String = ""
    }

    private var partials: [Int: Partial] = [:]

    /// Creates an empty assembler.
    public init() {}

    /// Whether any fragment has been seen.
    public var isEmpty: Bool { partials.isEmpty }

    /// Adds one fragment.
    public mutating func add(_ delta: ToolCallDelta) {
        var partial = partials[delta.index] ?? Partial()
        if let id = delta.id, !id.isEmpty { partial.id = id }
        if let name = delta.name, !name.isEmpty { partial.name = (partial.name ?? "") + name }
        partial.arguments += delta.argumentsFragment
        partials[delta.index] = partial
    }

    /// Returns the complete calls ordered by index and resets the assembler.
    /// Throws when a call never received an id or a name.
    public mutating func finish(provider: String) throws(ProviderError) -> [ToolCall] {
        defer { partials.removeAll() }
        var calls: [ToolCall] = []
        for index in partials.keys.sorted() {
            guard let partial = partials[index], let id = partial.id, let name = partial.name else {
                throw ProviderError(.malformedResponse, provider: provider, message: "tool call at index \(index) has no id or name")
            }
            calls.append(ToolCall(id: id, name: name, argumentsJSON: partial.arguments.isEmpty ? "{}" : partial.arguments))
        }
        return calls
    }
}
