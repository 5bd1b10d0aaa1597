// call-load: N concurrent simulated Twilio calls through the production `call-worker`, with
// the providers over HTTP (`provider-fake` with fixed latencies, a different reply text per
// turn) and the callers in this process: three processes, so the worker's CPU time and memory
// are read from /proc/<pid> without the callers' or the providers' share (issue 12).
//
//   call-load --calls 1,5,20,50,100,200 [--turns 2] [--seconds 2.5]
//
// For each level: start provider-fake and call-worker (MAX_CONCURRENT_CALLS = calls, real
// JSON logging and metrics, results spooled to disk), one warm-up call, then the calls; print
// one table row. Binaries default to the ones next to this executable (same build).

import ArgumentParser
import Foundation
import Logging

@main
struct CallLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call-load",
        abstract: "Load test: concurrent simulated Twilio calls through call-worker with fixed-latency HTTP providers."
    )

    @Option(help: "Concurrent calls per level, comma separated (one worker run per level).")
    var calls = "10"

    @Option(help: "Caller turns per call.")
    var turns = 2

    @Option(help: "Seconds of caller speech per turn.")
    var seconds = 2.5

    @Option(help: "Calls start evenly spread over this many seconds (default: 0.1 s per call, at most 10 s).")
    var ramp: Double?

    @Flag(name: .customLong("no-warm-up"), help: "Skip the single warm-up call before each level.")
    var noWarmUp = false

    @Option(name: .customLong("worker"), help: "The call-worker binary (default: next to this executable).")
    var workerPath: String?

    @Option(name: .customLong("provider"), help: "The provider-fake binary (default: next to this executable).")
    var providerPath: String?

    @Option(name: .customLong("silence-ms"), help: "End-of-turn silence (the bot's vad.stopHangoverMs).")
    var silenceMilliseconds = 800

    @Option(name: .customLong("speculation-ms"), help: "Silence before a speculative transcription (the bot's vad.speculationMs; 0: off).")
    var speculationMilliseconds: Int?

    @Option(name: .customLong("worker-log-level"), help: "The worker's LOG_LEVEL.")
    var workerLogLevel = "info"

    @Option(name: .customLong("work-dir"), help: "Where logs, bots file and result spool go (default: a new folder in /tmp).")
    var workDirectory: String?

    @Option(name: .customLong("profile"), help: "Sample the worker with `perf record` (cpu-clock, DWARF call graphs) during the calls into this file (the last level's run).")
    var profilePath: String?

    func validate() throws {
        guard !levels.isEmpty, levels.allSatisfy({ (1...2000).contains($0) }) else {
            throw ValidationError("--calls: comma-separated numbers in 1...2000, got \"\(calls)\"")
        }
        guard (1...50).contains(turns) else { throw ValidationError("--turns must be in 1...50") }
        guard (0.5...20).contains(seconds) else { throw ValidationError("--seconds must be in 0.5...20") }
        if let ramp, !(0...120).contains(ramp) { throw ValidationError("--ramp must be in 0...120") }
        guard (100...5000).contains(silenceMilliseconds) else { throw ValidationError("--silence-ms must be in 100...5000") }
        if let speculationMilliseconds, !(0...5000).contains(speculationMilliseconds) {
            throw ValidationError("--speculation-ms must be in 0...5000")
        }
    }

    var levels: [Int] { calls.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
        let work = workDirectory ?? NSTemporaryDirectory() + "call-load-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let setup = LoadSetup(
            workerPath: workerPath ?? directory + "/call-worker",
            providerPath: providerPath ?? directory + "/provider-fake",
            workDirectory: work,
            turns: turns,
            speechSeconds: seconds,
            ramp: ramp,
            warmUp: !noWarmUp,
            latency: FixedLatency(endOfTurnSilence: .milliseconds(silenceMilliseconds)),
            speculationMilliseconds: speculationMilliseconds,
            workerLogLevel: workerLogLevel,
            profilePath: profilePath
        )
        for path in [setup.workerPath, setup.providerPath] where !FileManager.default.isExecutableFile(atPath: path) {
            throw ValidationError("\(path) is not an executable (build it: swift build -c release --product call-worker; --product provider-fake)")
        }
        print("call-load: levels \(levels.map(String.init).joined(separator: ", ")) concurrent calls, \(turns) turns each, \(seconds) s caller speech per turn")
        print("worker: \(setup.workerPath) (LOG_LEVEL=\(workerLogLevel)); providers over HTTP: \(setup.providerPath)")
        print(setup.latency.summary)
        print("logs and result spool: \(work)")
        var rows: [LevelReport] = []
        for level in levels {
            let report = try await LoadLevel(setup: setup, calls: level).run()
            report.printDetails()
            rows.append(report)
        }
        LevelReport.printTable(rows)
    }
}

/// Fixed provider latencies (issue 12's setup) and the floor they put under reply latency.
struct FixedLatency: Sendable {
    var speechToText = Duration.milliseconds(300)
    var firstToken = Duration.milliseconds(250)
    var tokenInterval = Duration.milliseconds(20)
    var textToSpeechFirstAudio = Duration.milliseconds(200)
    /// Speech chunks: 200 ms of audio every 50 ms (4x real time) after the first.
    var speechChunkMilliseconds = 200
    var speechChunkInterval = Duration.milliseconds(50)
    var speechMillisecondsPerCharacter = 65
    var endOfTurnSilence: Duration

    /// 25 words; the first sentence is 8 (`{request}` becomes the request's number, so every
    /// reply is a different text and the TTS cache cannot answer it).
    static let reply = "Yes, we have table {request} free for tonight. I have booked it for two at seven thirty under your name, we look forward to it."
    static let firstSentenceWords = 8
    static let transcript = "I would like a table for two tonight please."

    /// End-of-turn silence + first token + the rest of the first sentence + TTS first audio:
    /// what a reply cannot beat when STT is hidden inside the silence (issue 12's floor).
    var floorMilliseconds: Double {
        let total = endOfTurnSilence + firstToken + tokenInterval * (Self.firstSentenceWords - 1) + textToSpeechFirstAudio
        return Double(total / .milliseconds(1))
    }

    var providerArguments: [String] {
        func ms(_ d: Duration) -> String { String(Int(d / .milliseconds(1))) }
        return [
            "--stt-ms", ms(speechToText), "--first-token-ms", ms(firstToken), "--token-interval-ms", ms(tokenInterval),
            "--tts-first-audio-ms", ms(textToSpeechFirstAudio), "--tts-chunk-ms", String(speechChunkMilliseconds),
            "--tts-chunk-interval-ms", ms(speechChunkInterval), "--speech-ms-per-char", String(speechMillisecondsPerCharacter),
            "--reply", Self.reply, "--transcript", Self.transcript,
        ]
    }

    var summary: String {
        func ms(_ d: Duration) -> Int { Int(d / .milliseconds(1)) }
        return "fixed latencies: STT \(ms(speechToText)) ms, first token \(ms(firstToken)) ms + \(Self.firstSentenceWords - 1) x \(ms(tokenInterval)) ms to the first sentence end, "
            + "TTS first audio \(ms(textToSpeechFirstAudio)) ms, end-of-turn silence \(ms(endOfTurnSilence)) ms; floor \(Int(floorMilliseconds)) ms"
    }
}
