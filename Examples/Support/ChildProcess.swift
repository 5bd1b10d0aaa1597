import Foundation
import NIOConcurrencyHelpers

/// A child process of a load or proof tool (provider-fake, twilio-fake, call-dialler, a call-worker): its output
/// goes to a log file, read by a thread of its own so the child never blocks on a full pipe,
/// and the first line that contains a marker is handed to whoever waits for it.
package final class ChildProcess: Sendable {
    private struct State {
        var lines = 0
        var bytes = 0
        var found: String?
        var ended = false
        var waiters: [CheckedContinuation<String, any Error>] = []
        var endWaiters: [CheckedContinuation<Void, Never>] = []
        var exitStatus: Int32?
        var signalled = false
        var exitWaiters: [CheckedContinuation<Int32, Never>] = []
    }

    package let name: String
    package let logPath: String
    private let process: Process
    private let state = NIOLockedValueBox(State())

    private init(name: String, process: Process, logPath: String) {
        self.name = name
        self.process = process
        self.logPath = logPath
    }

    /// The process id (valid once started).
    package var pid: Int32 { process.processIdentifier }

    private func exited(_ status: Int32, signalled: Bool) {
        let waiters = state.withLockedValue { state in
            state.exitStatus = status
            state.signalled = signalled
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Starts `executable` with `arguments` and `environment` (added to this process's own);
    /// its stdout and stderr go to `logPath`. The first output line containing `marker` is
    /// returned by ``readyLine()``.
    package static func start(
        name: String, executable: String, arguments: [String], environment: [String: String] = [:],
        logPath: String, marker: String
    ) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw ChildProcessError("cannot write \(logPath)")
        }
        let child = ChildProcess(name: name, process: process, logPath: logPath)
        process.terminationHandler = { process in child.exited(process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal) }
        try process.run()
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { child.pump(reader, into: log, marker: marker) }
        return child
    }

    private func pump(_ reader: FileHandle, into log: FileHandle, marker: String) {
        var pending = Data()
        while true {
            let data = reader.availableData
            if data.isEmpty { break }
            log.write(data)
            pending.append(data)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                let waiters = state.withLockedValue { state -> [CheckedContinuation<String, any Error>] in
                    state.lines += 1
                    state.bytes += line.utf8.count + 1
                    guard state.found == nil, line.contains(marker) else { return [] }
                    state.found = line
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume(returning: line) }
            }
        }
        try? log.close()
        let (waiters, endWaiters) = state.withLockedValue { state in
            state.ended = true
            defer { state.waiters = []; state.endWaiters = [] }
            return (state.waiters, state.endWaiters)
        }
        let name = self.name
        for waiter in waiters { waiter.resume(throwing: ChildProcessError("\(name) exited before it was ready (see \(logPath))")) }
        for waiter in endWaiters { waiter.resume() }
    }

    /// The first output line containing the start marker; throws if the process ends first.
    package func readyLine() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let immediate = state.withLockedValue { state -> Result<String, any Error>? in
                if let found = state.found { return .success(found) }
                if state.ended { return .failure(ChildProcessError("\(name) exited before it was ready (see \(logPath))")) }
                state.waiters.append(continuation)
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    /// Output lines and bytes so far.
    package var output: (lines: Int, bytes: Int) { state.withLockedValue { ($0.lines, $0.bytes) } }

    /// Sends `signal` (default SIGTERM: a graceful drain for the worker; 0: none), then waits for the
    /// exit and the end of its output; returns the exit status.
    @discardableResult
    package func stop(signal: Int32 = SIGTERM) async -> Int32 {
        let running = state.withLockedValue { $0.exitStatus == nil }
        if running { Foundation.kill(pid, signal) }
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let status = state.withLockedValue { state -> Int32? in
                if let status = state.exitStatus { return status }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { state -> Bool in
                if state.ended { return true }
                state.endWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return status
    }

    /// Kills the process at once (SIGKILL: the mid-campaign crash, or when the run itself fails).
    package func kill() {
        if state.withLockedValue({ $0.exitStatus == nil }) { Foundation.kill(pid, SIGKILL) }
    }

    /// Output lines containing `text` (read from the log after the process ended).
    package func lines(containing text: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: logPath) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.contains(text) }.map(String.init)
    }
}

extension ChildProcess {
    /// Whether the process is still running.
    package var isRunning: Bool { state.withLockedValue { $0.exitStatus == nil } }

    /// How it ended: `exit N` or `signal N`; nil while running.
    package var ending: String? {
        state.withLockedValue { state in state.exitStatus.map { state.signalled ? "signal \($0)" : "exit \($0)" } }
    }
}

/// A child process that could not be started or ended before it was ready.
package struct ChildProcessError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
