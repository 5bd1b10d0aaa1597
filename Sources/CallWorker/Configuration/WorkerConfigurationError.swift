/// Why the worker's configuration (environment or bots file) was rejected at startup.
public enum WorkerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An environment variable holds a value that cannot be used.
    case invalidVariable(name: String, reason: String)
    /// The bots file could not be read.
    case unreadableBotsFile(path: String, reason: String)
    /// The bots file is not valid JSON for the bot schema.
    case malformedBotsFile(path: String, reason: String)
    /// One bot definition is invalid.
    case invalidBot(id: String, reason: String)

    /// A message fit for a startup error line (never contains secrets).
    public var description: String {
        switch self {
        case .invalidVariable(let name, let reason): "environment variable \(name): \(reason)"
        case .unreadableBotsFile(let path, let reason): "bots file \(path): cannot read: \(reason)"
        case .malformedBotsFile(let path, let reason): "bots file \(path): invalid JSON: \(reason)"
        case .invalidBot(let id, let reason): "bot \"\(id)\": \(reason)"
        }
    }
}
