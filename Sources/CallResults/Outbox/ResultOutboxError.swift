#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure of the durable result outbox: the file-system operation that failed and its
/// `errno` (`ENOSPC` for a full disk, `EIO` for a failing device, `EACCES`/`EROFS` for
/// storage that cannot be written).
public struct ResultOutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The POSIX operation that failed (`open`, `write`, `fsync`, `rename`, `unlink`, ...).
    public let operation: String
    /// The `errno` it returned.
    public let errno: Int32
    /// The file or directory it was applied to.
    public let path: String

    /// Creates an error.
    public init(operation: String, errno: Int32, path: String) {
        self.operation = operation
        self.errno = errno
        self.path = path
    }

    /// Whether the file simply does not exist (an entry removed by another delivery).
    public var isNotFound: Bool { errno == ENOENT }

    /// `operation path: strerror (errno)`.
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
