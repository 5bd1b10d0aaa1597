#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A durable spool of post-call results: one JSON file per call in a directory.
///
/// Each write goes to a temporary file, is fsynced, renamed into place (atomic on POSIX
/// file systems) and the directory is fsynced, so a crash leaves either the whole result
/// or nothing, never half a file. Files are named `<callID>.json`; delivering the same
/// call twice replaces the file (idempotent).
public struct FileSpoolResultSink: ResultSink {
    /// The spool directory.
    public let directory: URL

    /// Creates the spool, making the directory if needed.
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes the result durably.
    public func deliver(_ result: CallResult) async throws {
        try write(result.jsonData(), name: Self.fileName(for: result.identity.callID))
    }

    /// Results currently spooled, oldest first, with their file URLs.
    public func pending() throws -> [(url: URL, result: CallResult)] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])
            .filter { $0.pathExtension == "json" }
            .sorted { lhs, rhs in
                let l = (try? lhs.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                let r = (try? rhs.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                return l < r
            }
        return try files.map { ($0, try CallResult.decode(Data(contentsOf: $0))) }
    }

    /// Removes a spooled result after it was delivered elsewhere.
    public func remove(_ url: URL) throws {
        try FileManager.default.removeItem(at: url)
    }

    /// A file name safe for any call id.
    static func fileName(for callID: String) -> String {
        let safe = callID.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" ? Character($0) : "_" }
        return String(safe.prefix(128)) + ".json"
    }

    private func write(_ data: Data, name: String) throws {
        let final = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError.io("open", errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary.path) }
        }
        try data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, base + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    close(fd)
                    throw SpoolError.io("write", code)
                }
                done += n
            }
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            throw SpoolError.io("fsync", code)
        }
        close(fd)
        guard rename(temporary.path, final.path) == 0 else { throw SpoolError.io("rename", errno) }
        ok = true
        let dirFD = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }

    /// A file-system failure while spooling.
    public enum SpoolError: Error, Sendable, Equatable {
        /// The named POSIX operation failed with `errno`.
        case io(String, Int32)
    }
}
