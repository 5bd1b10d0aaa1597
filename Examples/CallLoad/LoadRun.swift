import CallTesting
import Foundation
import Logging
import Synchronization

/// Calls in progress and memory samples, shared by the call tasks and the sampler.
final class Counters: Sendable {
    let active = Atomic<Int>(0)
    let sampling = Mutex<(peakRSS: Int, peakActive: Int, rssAtFull: Int)>((0, 0, 0))
}

/// Runs the load test: starts the wire server and the worker process, runs the calls,
/// prints the report.
struct LoadRun {
    let options: Options
    let logger = Logger(label: "call-load")

    func run() async throws {
        let wire = OpenAIWireServer(defaults: .init(
            transcript: "I would like a table for two tonight please.",
            chat: ChatScript(textDeltas: FixedLatency.replyTokens)))
        try await wire.start()
        wire.setDefault(WireBehavior(
            .transcription("I would like a table for two tonight please."),
            headDelay: FixedLatency.speechToText), for: .transcriptions)
        // Part 0 is the role chunk; the first content token (part 1) arrives at 250 ms.
        wire.setDefault(WireBehavior(
            .chat(ChatScript(textDeltas: FixedLatency.replyTokens)),
            firstPartDelay: FixedLatency.firstToken - FixedLatency.tokenInterval,
            partInterval: FixedLatency.tokenInterval), for: .chatCompletions)

        let worker = try WorkerProcess.start(wireURL: wire.baseURL, maximumCalls: options.calls, silence: FixedLatency.endOfTurnSilence)
        defer { worker.stop() }
        let port = try await worker.port()
        let url = "ws://127.0.0.1:\(port)/ws/load"
        let probe = ProcessProbe(pid: worker.pid)
        let speech = (1...3).map { SyntheticCallerAudio.speech(seconds: options.seconds, seed: UInt64($0)) }

        print("call-load: \(options.calls) calls x \(options.turns) turns, \(options.seconds) s caller speech per turn; worker pid \(worker.pid), MAX_CONCURRENT_CALLS=\(options.calls)")
        print("fixed waits: STT 300 ms, first token 250 ms + 6 x 20 ms to the first sentence end, TTS first chunk 200 ms, end-of-turn silence 800 ms = \(Int(FixedLatency.fixedWaitMilliseconds)) ms")

        if options.warmUp {
            let warm = await LoadCaller.call(url: url, callSid: Self.callSid(999_999), logger: logger) { caller in
                try await Self.script(caller, turns: 1, speech: speech)
            }
            print("warm-up call: \(warm.failure.map { "FAILED: \($0)" } ?? "ok"), reply latency \(warm.replyLatencies.map { "\(Int($0)) ms" }.joined(separator: ", "))")
        }
        try await Task.sleep(for: .seconds(1))
        let baselineRSS = probe.residentBytes() ?? 0
        let workerCPUStart = probe.cpuSeconds() ?? 0
        let selfCPUStart = ProcessProbe.selfCPUSeconds()
        let wallStart = ContinuousClock.now

        let counters = Counters()
        let logger = self.logger
        let calls = options.calls
        let sampler = Task {
            while !Task.isCancelled {
                let rss = probe.residentBytes() ?? 0
                let now = counters.active.load(ordering: .relaxed)
                counters.sampling.withLock { s in
                    s.peakRSS = max(s.peakRSS, rss)
                    s.peakActive = max(s.peakActive, now)
                    if now == calls { s.rssAtFull = max(s.rssAtFull, rss) }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        let ramp = options.ramp ?? min(10, Double(options.calls) * 0.1)
        let turns = options.turns
        let results = await withTaskGroup(of: CallMeasurement.self) { group in
            for index in 0..<calls {
                let delay = Duration.milliseconds(Int(ramp * 1000 * Double(index) / Double(calls)))
                group.addTask {
                    try? await Task.sleep(for: delay)
                    counters.active.add(1, ordering: .relaxed)
                    defer { counters.active.subtract(1, ordering: .relaxed) }
                    return await LoadCaller.call(url: url, callSid: Self.callSid(index), logger: logger) { caller in
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
        let memory = counters.sampling.withLock { $0 }

        Report(
            options: options, results: results, wallSeconds: wall, workerCPU: workerCPU, simulatorCPU: selfCPU,
            baselineRSS: baselineRSS, peakRSS: memory.peakRSS, rssAtFull: memory.rssAtFull, peakActive: memory.peakActive
        ).print()

        worker.stop()
        await wire.shutdown()
    }

    static func callSid(_ index: Int) -> String {
        let digits = String(index)
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
