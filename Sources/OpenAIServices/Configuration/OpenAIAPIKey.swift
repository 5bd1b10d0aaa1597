/// An API key that never prints itself.
///
/// `description`, `debugDescription` and reflection show only a redacted form, so the key
/// cannot leak into logs, error messages or test output by accident.
public struct OpenAIAPIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; only the transport reads it.
    let secret: String

    /// Wraps a key.
    public init(_ secret: String) {
        self.secret = secret
    }

    /// Whether the key is empty.
    public var isEmpty: Bool { secret.isEmpty }

    /// `<redacted>`.
    public var description: String { "<redacted>" }
    /// `<redacted>`.
    public var debugDescription: String { "OpenAIAPIKey(<redacted>)" }
    /// Hides the secret from `dump` and mirrors.
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Replaces every occurrence of the key in `text` (for provider messages that echo it).
    func redact(_ text: String) -> String {
        guard secret.count >= 4 else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
    }
}
