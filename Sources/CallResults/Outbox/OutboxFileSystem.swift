/// The blocking file operations of a ``ResultOutbox``. The outbox runs every call on
/// `NIOThreadPool.singleton`, never on Swift's cooperative pool.
///
/// ``POSIXOutboxFileSystem`` is the real one; tests wrap it to inject `ENOSPC` or `EIO`.
public protocol OutboxFileSystem: Sendable {
    /// Creates `directory` (and parents) if needed and restricts it to its owner (0700).
    func prepareDirectory(_ directory: String) throws(ResultOutboxError)
    /// Writes `bytes` to `directory/name` so that a crash leaves the old file or the whole new
    /// one: temporary file (0600), write, fsync, rename over `name`, fsync of the directory.
    func writeDurably(_ bytes: [UInt8], name: String, in directory: String) throws(ResultOutboxError)
    /// The whole content of `directory/name`.
    func read(name: String, in directory: String) throws(ResultOutboxError) -> [UInt8]
    /// The regular files in `directory` (no dot-files), with their modification times.
    func list(_ directory: String) throws(ResultOutboxError) -> [OutboxFile]
    /// Removes `directory/name` and fsyncs the directory. A missing file is not an error.
    func remove(name: String, in directory: String) throws(ResultOutboxError)
    /// Moves `name` from one directory to another (same file system), fsyncing both.
    func move(name: String, from source: String, to destination: String) throws(ResultOutboxError)
}

/// A file in an outbox directory.
public struct OutboxFile: Sendable, Hashable {
    /// The file name (no directory).
    public var name: String
    /// Last modification, seconds since 1970 (orders entries oldest first).
    public var modified: Double

    /// Creates a listing row.
    public init(name: String, modified: Double) {
        self.name = name
        self.modified = modified
    }
}
