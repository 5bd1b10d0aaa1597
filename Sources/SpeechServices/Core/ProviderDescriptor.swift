/// Identifies one configured provider endpoint: who serves it and with which model.
///
/// Used as a metrics dimension, a log field, a cache-key part and to report which
/// provider in a fallback chain served a request.
public struct ProviderDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// Provider name, for example `openai` or `scripted-primary`.
    public var name: String
    /// Model used by this endpoint, for example `gpt-4o-mini`.
    public var model: String

    /// Creates a descriptor.
    public init(name: String, model: String) {
        self.name = name
        self.model = model
    }

    /// `name/model`.
    public var description: String { "\(name)/\(model)" }
}
