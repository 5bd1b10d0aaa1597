import CallEngine

/// One final result waiting in a ``ResultOutbox``: its file name and what the file holds.
public struct OutboxEntry: Sendable {
    /// What an outbox file decoded to.
    public enum Content: Sendable {
        /// A result ready to deliver.
        case result(CallResult)
        /// A file that is not a ``CallResult`` (corrupt, or written by another schema).
        case undecodable(reason: String)
    }

    /// The file name: ``CallIdentity/storageName`` plus `.json`.
    public var name: String
    /// The bytes as stored: the exact webhook body.
    public var bytes: [UInt8]
    /// The decoded result, or why it could not be decoded.
    public var content: Content

    /// Creates an entry.
    public init(name: String, bytes: [UInt8], content: Content) {
        self.name = name
        self.bytes = bytes
        self.content = content
    }

    /// The call's id, when the entry decoded.
    public var callID: String? {
        if case .result(let result) = content { return result.identity.callID }
        return nil
    }
}

/// Whether step one of a staged delivery (``StagedResultSink/persist(_:)``) made the result
/// durable.
public enum ResultPersistence: Sendable, Hashable {
    /// Written and fsynced: it survives a crash from now on.
    case durable
    /// Storage failed; the result exists only in memory until it is delivered.
    case failed(ResultOutboxError)
}
