import CallEngine
import CallTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `call-worker` binary as a child process: SIGTERM during two active calls.
@Suite(.timeLimit(.minutes(2)))
struct WorkerProcessTests {
    @Test func sigtermDrainsTwoActiveCallsDeliversBothResultsAndExitsZero() async throws {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("call-worker-spool-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: spool) }
        try await OpenAIWireServer.withRunningServer { wire in
            let worker = try ChildProcess(environment: [
                "HOST": "127.0.0.1", "PORT": "0", "TWILIO_SIGNATURES": "off",
                "OPENAI_BASE_URL": wire.baseURL, "OPENAI_API_KEY": "sk-test-secret",
                "MAX_CONCURRENT_CALLS": "2", "DRAIN_BUDGET": "4",
                "SPOOL_DIR": spool.path,
            ])
            let port = await worker.port()
            let listening = try #require(port, "worker did not report its port: \(worker.output)")
            #expect(!worker.output.joined().contains("sk-test-secret"))

            // Two calls, each past its greeting.
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let calls = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sid in [TestSID.call(8881), TestSID.call(8882)] {
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
            worker.signal(SIGTERM)
            await worker.waitFor(["draining: refusing new calls"])
            let ready = try await HTTP.request(.GET, "http://127.0.0.1:\(listening)/health/ready")
            #expect(ready.status == 503)
            #expect(ready.body.contains("draining"))

            do {
                try await calls.value
            } catch {
                Issue.record("calls failed: \(error)")
            }
            let status = await worker.exitStatus()
            #expect(status == 0)
            #expect(ContinuousClock.now - signalled < .seconds(4 + 2), "within the drain budget")
            #expect(worker.logged("stopped"))
            // Every call line carries call_sid.
            let callLines = worker.output.filter { $0.contains("\"msg\":\"call ") }
            #expect(!callLines.isEmpty && callLines.allSatisfy { ChildProcess.field("call_sid", in: $0) != nil })

            let files = try FileManager.default.contentsOfDirectory(at: spool, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
            let results = try files.map { try CallResult.decode(Data(contentsOf: $0)) }
            #expect(Set(results.map(\.identity.callID)) == [TestSID.call(8881), TestSID.call(8882)])
            #expect(results.allSatisfy { $0.endReason == .drain })
        }
    }
}
