import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The built `call-dialler` binary as a child process: its output lines (stdout and stderr, where
/// swift-log's default handler writes) as they arrive, its port, signals and its exit status.
/// Used from one task.
final class DiallerChildProcess {
    private let process = Process()
    private var lines: AsyncStream<String>.AsyncIterator
    private var exits: AsyncStream<Int32>.AsyncIterator
    private let exitContinuation: AsyncStream<Int32>.Continuation
    /// Every line read so far.
    private(set) var output: [String] = []

    /// A product binary next to the test bundle (`swift test` runs the bundle from the build folder).
    static func binary(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return url
    }

    /// Starts `executable` with `arguments` and `environment` (and nothing else from this
    /// process's environment but the sanitizers' options, so a sanitized child reports the
    /// way `scripts/sanitize.sh` configured it).
    init(_ executable: String = "call-dialler", arguments: [String], environment: [String: String]) throws {
        process.executableURL = try Self.binary(executable)
        process.arguments = arguments
        var environment = environment
        for name in ["TSAN_OPTIONS", "ASAN_OPTIONS"] where environment[name] == nil {
            environment[name] = ProcessInfo.processInfo.environment[name]
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        lines = DiallerLineReader(pipe.fileHandleForReading).lines.makeAsyncIterator()
        let (exitStream, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        exits = exitStream.makeAsyncIterator()
        self.exitContinuation = exitContinuation
        process.terminationHandler = { process in
            exitContinuation.yield(process.terminationStatus)
            exitContinuation.finish()
        }
        try process.run()
    }

    /// Reads lines until one ends with `message` (swift-log's text format puts the message
    /// last); returns it, or nil when the output ended first.
    @discardableResult
    func waitFor(_ message: String) async -> String? {
        while let line = await lines.next() {
            output.append(line)
            if line.hasSuffix(" \(message)") { return line }
        }
        return nil
    }

    /// Reads lines until the dialler reports its port (`port=N ... listening`).
    func port() async -> Int? {
        guard let line = await waitFor("listening"), let range = line.range(of: #"port=(\d+)"#, options: .regularExpression) else { return nil }
        return Int(line[range].dropFirst("port=".count))
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
            try await Task.sleep(for: .seconds(5))
            exitContinuation.finish()
        }
        defer { watchdog.cancel() }
        while let line = await lines.next() { output.append(line) }
        let status = await exits.next()
        if status == nil || (process.terminationReason == .uncaughtSignal && status == SIGKILL) {
            output.append("[test] child \(pid) still running after \(limit): killed")
        }
        if ProcessInfo.processInfo.environment["DIALLER_TEST_PRINT_LOG"] != nil { print(output.joined(separator: "\n")) }
        return status
    }

    /// Whether some line so far ends with the log message `message`.
    func logged(_ message: String) -> Bool {
        output.contains { $0.hasSuffix(" \(message)") }
    }

    /// Kills the child if it still runs (for a test that failed before its end).
    func killIfRunning() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Lines of a child's output as an async stream, read by a dedicated thread with blocking
/// `read(2)` until end of file.
final class DiallerLineReader: Sendable {
    let lines: AsyncStream<String>

    init(_ handle: FileHandle) {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let descriptor = handle.fileDescriptor
        let thread = Thread {
            let pending = NIOLockedValueBox(Data())
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                let complete = pending.withLockedValue { data -> [String] in
                    data.append(contentsOf: buffer[0..<count])
                    var out: [String] = []
                    while let newline = data.firstIndex(of: 0x0A) {
                        out.append(String(decoding: data[data.startIndex..<newline], as: UTF8.self))
                        data.removeSubrange(data.startIndex...newline)
                    }
                    return out
                }
                for line in complete { continuation.yield(line) }
            }
            withExtendedLifetime(handle) {}
            continuation.finish()
        }
        thread.name = "dialler-child-output"
        thread.start()
    }
}
