import AsyncHTTPClient
import CallTesting
import ExampleSupport
import Foundation
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// What every level of a run shares.
struct LoadSetup: Sendable {
    let workerPath: String
    let providerPath: String
    let workDirectory: String
    let turns: Int
    let speechSeconds: Double
    let ramp: Double?
    let warmUp: Bool
    let latency: FixedLatency
    let speculationMilliseconds: Int?
    let workerLogLevel: String
    /// When set, `perf record` samples the worker during the calls into this file.
    let profilePath: String?
}

/// Calls in progress and memory samples, shared by the call tasks and the sampler.
final class Counters: Sendable {
    let active = Atomic<Int>(0)
    let sampling = NIOLockedValueBox<(peakRSS: Int, peakActive: Int, rssAtFull: Int)>((0, 0, 0))
}

/// One level: a fresh provider-fake and call-worker, a warm-up call, `calls` concurrent calls.
struct LoadLevel {
    let setup: LoadSetup
    let calls: Int
    let logger = Logger(label: "call-load")

    func run() async throws -> LevelReport {
        let folder = setup.workDirectory + "/calls-\(calls)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder + "/spool", withIntermediateDirectories: true)
        let botsFile = folder + "/bots.json"
        try botDefinition().write(to: URL(fileURLWithPath: botsFile))

        let provider = try ChildProcess.start(
            name: "provider-fake", executable: setup.providerPath,
            arguments: ["--port", "0", "--log-level", "warning"] + setup.latency.providerArguments,
            logPath: folder + "/provider.log", marker: "listening on http://")
        let worker: ChildProcess
        let port: Int
        do {
            let providerURL = try Self.providerURL(from: await provider.readyLine())
            worker = try ChildProcess.start(
                name: "call-worker", executable: setup.workerPath, arguments: [],
                environment: [
                    "HOST": "127.0.0.1", "PORT": "0",
                    "MAX_CONCURRENT_CALLS": "\(calls)", "MAX_CONNECTIONS": "\(calls * 2 + 64)",
                    "OPENAI_BASE_URL": providerURL, "OPENAI_API_KEY": "sk-load-test",
                    "TWILIO_SIGNATURES": "off", "BOTS_FILE": botsFile, "SPOOL_DIR": folder + "/spool",
                    "LOG_LEVEL": setup.workerLogLevel,
                ],
                logPath: folder + "/worker.log", marker: "\"msg\":\"listening\"")
            port = try Self.workerPort(from: await worker.readyLine())
        } catch {
            provider.kill()
            throw error
        }
        defer { worker.kill(); provider.kill() }

        let url = "ws://127.0.0.1:\(port)/ws/load"
        let probe = ProcessProbe(pid: worker.pid)
        let speech = (1...3).map { SyntheticCallerAudio.speech(seconds: setup.speechSeconds, seed: UInt64($0)) }
        let turns = setup.turns
        print("")
        print("level \(calls): worker pid \(worker.pid) on port \(port), MAX_CONCURRENT_CALLS=\(calls)")
        if setup.warmUp {
            let warm = await LoadCaller.call(url: url, callSid: Self.callSid(level: calls, index: 999_999), logger: logger) { caller in
                try await Self.script(caller, turns: 1, speech: speech)
            }
            print("  warm-up call: \(warm.failure.map { "FAILED: \($0)" } ?? "ok"), reply latency \(warm.replyLatencies.map { "\(Int($0)) ms" }.joined(separator: ", "))")
            // The warm-up call's slot is free once its result is durable and it is released.
            try await Self.waitUntilReady(port: port)
        }
        let baselineRSS = probe.residentBytes() ?? 0
        let workerCPUStart = probe.cpuSeconds() ?? 0
        let selfCPUStart = ProcessProbe.selfCPUSeconds()
        let logStart = worker.output
        let profiler = try setup.profilePath.map { path in
            try ChildProcess.start(
                name: "perf", executable: "/usr/bin/perf",
                arguments: ["record", "-e", "cpu-clock", "-F", "1999", "--call-graph", "dwarf,16384", "-p", "\(worker.pid)", "-o", path],
                logPath: folder + "/perf.log", marker: "")
        }
        let wallStart = ContinuousClock.now

        let counters = Counters()
        let logger = self.logger
        let calls = self.calls
        let sampler = Task {
            while !Task.isCancelled {
                let rss = probe.residentBytes() ?? 0
                let now = counters.active.load(ordering: .relaxed)
                counters.sampling.withLockedValue { s in
                    s.peakRSS = max(s.peakRSS, rss)
                    s.peakActive = max(s.peakActive, now)
                    if now == calls { s.rssAtFull = max(s.rssAtFull, rss) }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        let ramp = setup.ramp ?? min(10, Double(calls) * 0.1)
        let results = await withTaskGroup(of: CallMeasurement.self) { group in
            for index in 0..<calls {
                let delay = Duration.milliseconds(Int(ramp * 1000 * Double(index) / Double(calls)))
                group.addTask {
                    try? await Task.sleep(for: delay)
                    counters.active.add(1, ordering: .relaxed)
                    defer { counters.active.subtract(1, ordering: .relaxed) }
                    return await LoadCaller.call(url: url, callSid: Self.callSid(level: calls, index: index), logger: logger) { caller in
                        try await Self.script(caller, turns: turns, speech: speech)
                    }
                }
            }
            var all: [CallMeasurement] = []
            for await result in group { all.append(result) }
            return all
        }
        sampler.cancel()
        let wall = Double((ContinuousClock.now - wallStart) / .milliseconds(1)) / 1000
        let workerCPU = (probe.cpuSeconds() ?? 0) - workerCPUStart
        let selfCPU = ProcessProbe.selfCPUSeconds() - selfCPUStart
        let logEnd = worker.output
        let memory = counters.sampling.withLockedValue { $0 }

        let workerExit = await worker.stop()
        if let profiler {
            // perf ends when the process it samples has exited (it does not see the signals
            // this process sends: they are blocked in its children).
            _ = await profiler.stop(signal: 0)
            print("  profile: \(setup.profilePath ?? "") (perf report -i it)")
        }
        _ = await provider.stop()
        let peakInFlight = provider.lines(containing: "request(s) in flight").last.flatMap(Self.peakInFlight(from:))
        let spooled = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/spool"))?.count ?? 0

        return LevelReport(
            calls: calls, turnsPerCall: turns, floorMilliseconds: setup.latency.floorMilliseconds,
            results: results, wallSeconds: wall, workerCPU: workerCPU, callersCPU: selfCPU,
            baselineRSS: baselineRSS, peakRSS: memory.peakRSS, rssAtFull: memory.rssAtFull, peakActive: memory.peakActive,
            peakRequestsInFlight: peakInFlight, workerLogLines: logEnd.lines - logStart.lines,
            workerLogBytes: logEnd.bytes - logStart.bytes, workerExitStatus: workerExit, spoolEntries: spooled
        )
    }

    /// Polls `/health/ready` every 100 ms until it answers 200 (at most 15 s).
    static func waitUntilReady(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CallScriptError(description: "the worker did not become ready within 15 s after the warm-up call")
    }

    /// The load bot: the fixed end-of-turn silence, no idle prompts during the test.
    func botDefinition() throws -> Data {
        var vad: [String: Int] = ["stopHangoverMs": Int(setup.latency.endOfTurnSilence / .milliseconds(1))]
        if let speculation = setup.speculationMilliseconds { vad["speculationMs"] = speculation }
        let bot: [String: Any] = [
            "id": "load",
            "systemPrompt": "You are the receptionist of Bella Vista. (Load test: replies are scripted.)",
            "greeting": "Hello, thanks for calling Bella Vista. How can I help you?",
            "voice": "alloy",
            "idle": ["timeoutSeconds": 120],
            "vad": vad,
        ]
        return try JSONSerialization.data(withJSONObject: ["bots": [bot]], options: [.prettyPrinted, .sortedKeys])
    }

    /// `provider-fake listening on http://127.0.0.1:PORT/v1`
    static func providerURL(from line: String) throws -> String {
        guard let range = line.range(of: "http://") else { throw CallScriptError(description: "unexpected provider-fake line: \(line)") }
        return String(line[range.lowerBound...]).trimmingCharacters(in: .whitespaces)
    }

    /// The worker's JSON `listening` log line, `"port":"PORT"`.
    static func workerPort(from line: String) throws -> Int {
        guard let range = line.range(of: "\"port\":\""),
              let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
            throw CallScriptError(description: "no port in the worker's listening line: \(line)")
        }
        return port
    }

    /// `... peak N request(s) in flight`
    static func peakInFlight(from line: String) -> Int? {
        guard let range = line.range(of: "peak ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// A call SID of Twilio's shape (CA + 32 hex digits), unique per level and call.
    static func callSid(level: Int, index: Int) -> String {
        let digits = String(level) + "0" + String(index)
        return "CA" + String(repeating: "0", count: 32 - digits.count) + digits
    }

    /// Greeting, then `turns` times: a 200 ms pause, caller speech, wait for the agent's whole
    /// reply (done = all played, marks echoed, 300 ms quiet).
    static func script(_ caller: LoadCaller, turns: Int, speech: [[[UInt8]]]) async throws {
        caller.start()
        guard try await caller.waitInSilence(seconds: 30, until: { caller.agentDone(after: 0) }) else {
            throw CallScriptError(description: caller.isServerClosed ? "closed by the worker before the greeting" : "no greeting within 30 s")
        }
        let pause = [[UInt8]](repeating: [UInt8](repeating: 0xFF, count: 160), count: 10)
        for turn in 0..<turns {
            try await caller.play(pause)
            caller.speechStarts()
            try await caller.play(speech[turn % speech.count])
            caller.speechEnded()
            let replies = turn + 1
            guard try await caller.waitInSilence(seconds: 30, until: { caller.agentDone(after: replies) }) else {
                throw CallScriptError(description: caller.isServerClosed ? "closed by the worker in turn \(replies)" : "no complete reply to turn \(replies) within 30 s")
            }
        }
        caller.stop()
    }
}
