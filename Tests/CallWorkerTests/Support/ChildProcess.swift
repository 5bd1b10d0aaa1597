import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A built executable of this package (by default `call-worker`) as a child process: its
/// output lines as they arrive (the worker's are JSON), its port, signals and its exit status.
/// Used from one task.
final class ChildProcess {
    private let process = Process()
    private var lines: AsyncStream<String>.AsyncIterator
    private var exits: AsyncStream<Int32>.AsyncIterator
    private let exitContinuation: AsyncStream<Int32>.Continuation
    /// Every line read so far.
    private(set) var output: [String] = []

    /// A product binary next to the test bundle.
    static func binary(_ name: String = "call-worker") throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return url
    }

    /// A string field of a JSON log line.
    static func field(_ name: String, in line: String) -> String? {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object[name] as? String
    }

    /// Starts `executable` with `arguments` and `environment` (and nothing else from this
    /// process's environment but the sanitizers' options, so a sanitized child reports the
    /// way `scripts/sanitize.sh` configured it).
    init(_ executable: String = "call-worker", arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = try Self.binary(executable)
        process.arguments = arguments
        var environment = environment
        for name in ["TSAN_OPTIONS", "ASAN_OPTIONS"] where environment[name] == nil {
            environment[name] = ProcessInfo.processInfo.environment[name]
        }
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        lines = LineReader(stdout.fileHandleForReading).lines.makeAsyncIterator()
        let (exitStream, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        exits = exitStream.makeAsyncIterator()
        self.exitContinuation = exitContinuation
        process.terminationHandler = { process in
            exitContinuation.yield(process.terminationStatus)
            exitContinuation.finish()
        }
        try process.run()
    }

    /// Reads lines until each message in `messages` was seen once; returns those lines by
    /// message (fewer when the output ended first).
    @discardableResult
    func waitFor(_ messages: Set<String>) async -> [String: String] {
        var found: [String: String] = [:]
        while found.count < messages.count, let line = await lines.next() {
            output.append(line)
            if let message = Self.field("msg", in: line), messages.contains(message), found[message] == nil {
                found[message] = line
            }
        }
        return found
    }

    /// Reads lines until the worker reports its port.
    func port() async -> Int? {
        await waitFor(["listening"])["listening"].flatMap { Self.field("port", in: $0) }.flatMap(Int.init)
    }

    /// Sends a signal.
    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Reads the rest of the output and returns the exit status. A child still running after
    /// `limit` is killed (SIGKILL, noted as the last output line), so a stuck child fails its
    /// test with its output instead of hanging the whole run.
    func exitStatus(within limit: Duration = .seconds(60)) async -> Int32? {
        let pid = process.processIdentifier
        let exitContinuation = self.exitContinuation
        let watchdog = Task {
            try await Task.sleep(for: limit)
            kill(pid, SIGKILL)
            // Should the termination never be reported, give up on the status too.
            try await Task.sleep(for: .seconds(5))
            exitContinuation.finish()
        }
        defer { watchdog.cancel() }
        while let line = await lines.next() { output.append(line) }
        let status = await exits.next()
        if status == nil || (process.terminationReason == .uncaughtSignal && status == SIGKILL) {
            output.append("[test] child \(pid) still running after \(limit): killed")
        }
        if ProcessInfo.processInfo.environment["WORKER_TEST_PRINT_LOG"] != nil { print(output.joined(separator: "\n")) }
        return status
    }

    /// Whether some line so far has the log message `message`.
    func logged(_ message: String) -> Bool {
        output.contains { Self.field("msg", in: $0) == message }
    }
}

/// Lines of a child's stdout as an async stream, read by a dedicated thread with blocking
/// `read(2)` until end of file (Foundation's `readabilityHandler` is not relied on for EOF).
final class LineReader: Sendable {
    let lines: AsyncStream<String>

    init(_ handle: FileHandle) {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let descriptor = handle.fileDescriptor
        let thread = Thread {
            let box = PendingBox()
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for line in box.append(Data(buffer[0..<count])) { continuation.yield(line) }
            }
            withExtendedLifetime(handle) {}
            continuation.finish()
        }
        thread.name = "child-process-stdout"
        thread.start()
    }
}

/// Bytes of an incomplete line.
final class PendingBox: Sendable {
    private let pending: NIOLockedValueBox<Data>

    init() {
        pending = NIOLockedValueBox(Data())
    }

    func append(_ data: Data) -> [String] {
        pending.withLockedValue { buffer in
            buffer.append(data)
            var lines: [String] = []
            while let newline = buffer.firstIndex(of: 0x0A) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return lines
        }
    }
}
