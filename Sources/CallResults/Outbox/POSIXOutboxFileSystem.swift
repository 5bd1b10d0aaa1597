#if canImport(Glibc)
import Glibc

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Glibc.read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { Glibc.write(fd, buffer, count) }
private func modificationTime(_ info: stat) -> Double { Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 }
#elseif canImport(Darwin)
import Darwin

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { Darwin.read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { Darwin.write(fd, buffer, count) }
private func modificationTime(_ info: stat) -> Double { Double(info.st_mtimespec.tv_sec) + Double(info.st_mtimespec.tv_nsec) / 1e9 }
#endif

/// ``OutboxFileSystem`` on POSIX calls: files 0600, directories 0700, every write fsynced
/// and renamed into place, every directory change fsynced.
public struct POSIXOutboxFileSystem: OutboxFileSystem {
    /// Creates the file system.
    public init() {}

    public func prepareDirectory(_ directory: String) throws(ResultOutboxError) {
        var path = ""
        for component in directory.split(separator: "/", omittingEmptySubsequences: true) {
            path += (path.isEmpty && !directory.hasPrefix("/") ? "" : "/") + component
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                throw ResultOutboxError(operation: "mkdir", errno: errno, path: path)
            }
        }
        guard chmod(directory, 0o700) == 0 else {
            throw ResultOutboxError(operation: "chmod", errno: errno, path: directory)
        }
    }

    public func writeDurably(_ bytes: [UInt8], name: String, in directory: String) throws(ResultOutboxError) {
        let final = directory + "/" + name
        let temporary = directory + "/." + name + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ResultOutboxError(operation: "open", errno: errno, path: temporary) }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do throws(ResultOutboxError) {
            try Self.writeAll(bytes, to: fd, path: temporary)
            guard fsync(fd) == 0 else { throw ResultOutboxError(operation: "fsync", errno: errno, path: temporary) }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw ResultOutboxError(operation: "close", errno: errno, path: temporary) }
        guard rename(temporary, final) == 0 else { throw ResultOutboxError(operation: "rename", errno: errno, path: final) }
        renamed = true
        try Self.syncDirectory(directory)
    }

    public func read(name: String, in directory: String) throws(ResultOutboxError) -> [UInt8] {
        let path = directory + "/" + name
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ResultOutboxError(operation: "open", errno: errno, path: path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ResultOutboxError(operation: "read", errno: errno, path: path)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }

    public func list(_ directory: String) throws(ResultOutboxError) -> [OutboxFile] {
        guard let handle = opendir(directory) else { throw ResultOutboxError(operation: "opendir", errno: errno, path: directory) }
        defer { closedir(handle) }
        var files: [OutboxFile] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            files.append(OutboxFile(name: name, modified: modificationTime(info)))
        }
        return files
    }

    public func remove(name: String, in directory: String) throws(ResultOutboxError) {
        let path = directory + "/" + name
        if unlink(path) != 0 {
            if errno == ENOENT { return }
            throw ResultOutboxError(operation: "unlink", errno: errno, path: path)
        }
        try Self.syncDirectory(directory)
    }

    public func move(name: String, from source: String, to destination: String) throws(ResultOutboxError) {
        guard rename(source + "/" + name, destination + "/" + name) == 0 else {
            throw ResultOutboxError(operation: "rename", errno: errno, path: source + "/" + name)
        }
        try Self.syncDirectory(destination)
        try Self.syncDirectory(source)
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(ResultOutboxError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in systemWrite(fd, raw.baseAddress.map { $0 + done }, raw.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ResultOutboxError(operation: "write", errno: errno, path: path)
            }
            done += n
        }
    }

    static func syncDirectory(_ directory: String) throws(ResultOutboxError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ResultOutboxError(operation: "open", errno: errno, path: directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ResultOutboxError(operation: "fsync", errno: errno, path: directory) }
    }
}
