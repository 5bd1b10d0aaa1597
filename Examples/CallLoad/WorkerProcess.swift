import Foundation

/// The worker child process (this binary with `--worker`).
final class WorkerProcess: Sendable {
    private let process: Process
    private let output: FileHandle
    let pid: Int32

    private init(process: Process, output: FileHandle) {
        self.process = process
        self.output = output
        pid = process.processIdentifier
    }

    static func start(wireURL: String, maximumCalls: Int, silence: Duration) throws -> WorkerProcess {
        let process = Process()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--worker", "--wire", wireURL, "--calls", "\(maximumCalls)", "--silence-ms", "\(Int(silence / .milliseconds(1)))"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return WorkerProcess(process: process, output: pipe.fileHandleForReading)
    }

    /// Waits for the worker's "PORT n" line.
    func port() async throws -> Int {
        let output = self.output
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var buffer = Data()
                while true {
                    let data = output.availableData
                    if data.isEmpty {
                        continuation.resume(throwing: CallScriptError(description: "the worker exited before listening"))
                        return
                    }
                    buffer.append(data)
                    let text = String(decoding: buffer, as: UTF8.self)
                    for line in text.split(separator: "\n") where line.hasPrefix("PORT ") {
                        if let port = Int(line.dropFirst(5)) {
                            continuation.resume(returning: port)
                            return
                        }
                    }
                }
            }
        }
    }

    /// SIGTERM (graceful drain), then waits for the exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
