import CallEngine
import CallTesting
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Lines of a child's stdout as an async stream.
final class LineReader: Sendable {
    let lines: AsyncStream<String>

    init(_ handle: FileHandle) {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        let box = PendingBox()
        handle.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            for line in box.append(data) { continuation.yield(line) }
        }
    }
}

/// Bytes of an incomplete line.
final class PendingBox: Sendable {
    private let pending: Mutex<Data>

    init() {
        pending = Mutex(Data())
    }

    func append(_ data: Data) -> [String] {
        pending.withLock { buffer in
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

/// The built `call-worker` binary as a child process: SIGTERM during two active calls.
@Suite(.timeLimit(.minutes(2)))
struct WorkerProcessTests {
    static func workerBinary() throws -> URL {
        let url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("call-worker")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return url
    }

    static func field(_ name: String, in line: String) -> String? {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object[name] as? String
    }

    @Test func sigtermDrainsTwoActiveCallsDeliversBothResultsAndExitsZero() async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("call-worker-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        try await OpenAIWireServer.withRunningServer { wire in
            let process = Process()
            process.executableURL = try Self.workerBinary()
            process.environment = [
                "HOST": "127.0.0.1", "PORT": "0",
                "OPENAI_BASE_URL": wire.baseURL, "OPENAI_API_KEY": "sk-test-secret",
                "MAX_CONCURRENT_CALLS": "2", "DRAIN_TIMEOUT": "2",
                "SPOOL_DIR": spool.path,
            ]
            let stdout = Pipe()
            process.standardOutput = stdout
            let reader = LineReader(stdout.fileHandleForReading)
            let (exits, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
            process.terminationHandler = { process in
                exitContinuation.yield(process.terminationStatus)
                exitContinuation.finish()
            }
            try process.run()
            var lines = reader.lines.makeAsyncIterator()
            var port: Int?
            var output: [String] = []
            while port == nil, let line = await lines.next() {
                output.append(line)
                if Self.field("msg", in: line) == "listening" { port = Self.field("port", in: line).flatMap(Int.init) }
            }
            let listening = try #require(port, "worker did not report its port: \(output)")
            #expect(!output.joined().contains("sk-test-secret"))

            // Two calls, each past its greeting.
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let calls = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sid in ["CA8881", "CA8882"] {
                        group.addTask {
                            _ = try await TwilioWebSocketCaller.call(url: "ws://127.0.0.1:\(listening)/ws/demo", callSid: sid) { caller in
                                caller.connectedAndStart()
                                let heard1 = try await caller.waitInSilence { $0.echoes.count >= 1 }
                #expect(heard1)
                                startedContinuation.yield()
                                // Keep the line open (silence, like Twilio) until the worker hangs up.
                                try await caller.play(SyntheticCallerAudio.silence(seconds: 30))
                                #expect(caller.isServerClosed)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            var count = 0
            for await _ in started {
                count += 1
                if count == 2 { break }
            }
            let signalled = ContinuousClock.now
            kill(process.processIdentifier, SIGTERM)
            while let line = await lines.next() {
                output.append(line)
                if Self.field("msg", in: line)?.hasPrefix("draining") == true { break }
            }
            let ready = try await HTTP.request(.GET, "http://127.0.0.1:\(listening)/health/ready")
            #expect(ready.status == 503)
            #expect(ready.body.contains("draining"))

            do {
                try await calls.value
            } catch {
                Issue.record("calls failed: \(error)")
            }
            var exitIterator = exits.makeAsyncIterator()
            let status = await exitIterator.next()
            #expect(status == 0)
            #expect(ContinuousClock.now - signalled < .seconds(2 + 10))
            while let line = await lines.next() { output.append(line) }
            if ProcessInfo.processInfo.environment["WORKER_TEST_PRINT_LOG"] != nil { print(output.joined(separator: "\n")) }
            #expect(output.contains { Self.field("msg", in: $0) == "stopped" })
            // Every call line carries call_sid.
            let callLines = output.filter { $0.contains("\"msg\":\"call ") }
            #expect(!callLines.isEmpty && callLines.allSatisfy { Self.field("call_sid", in: $0) != nil })

            let files = try FileManager.default.contentsOfDirectory(at: spool, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
            let results = try files.map { try CallResult.decode(Data(contentsOf: $0)) }
            #expect(Set(results.map(\.identity.callID)) == ["CA8881", "CA8882"])
            #expect(results.allSatisfy { $0.endReason == .drain })
        }
    }
}
