import CallTesting
import Foundation
import Logging
import Synchronization

// call-load: N concurrent simulated Twilio calls against a call-worker with
// MAX_CONCURRENT_CALLS=N and local providers of fixed latency (issue 6, "Load test").
//
//   call-load [--calls N] [--turns T] [--seconds S] [--ramp R]
//
// The worker runs in a child process (this same binary with `--worker`), so its CPU time and
// memory are read from /proc/<pid> without the simulator's share. This process runs the
// callers (real WebSockets, real-time media, Twilio-style mark echoes) and the local
// OpenAI-wire server that answers STT and LLM requests with fixed latency.

struct Options {
    var calls = 10
    var turns = 3
    /// Seconds of caller speech per turn.
    var seconds = 2.5
    /// Calls start evenly spread over this many seconds.
    var ramp: Double?
    var warmUp = true
    var workerMode = false
    var wireURL = ""
    var silenceMilliseconds = 800

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var iterator = arguments.dropFirst().makeIterator()
        func value(_ name: String) throws -> String {
            guard let next = iterator.next() else { throw CallScriptError(description: "\(name) needs a value") }
            return next
        }
        func number(_ name: String, _ range: ClosedRange<Double>) throws -> Double {
            let text = try value(name)
            guard let parsed = Double(text), range.contains(parsed) else {
                throw CallScriptError(description: "\(name): expected a number in \(range), got \"\(text)\"")
            }
            return parsed
        }
        while let argument = iterator.next() {
            switch argument {
            case "--calls": options.calls = Int(try number(argument, 1...2000))
            case "--turns": options.turns = Int(try number(argument, 1...50))
            case "--seconds": options.seconds = try number(argument, 0.5...20)
            case "--ramp": options.ramp = try number(argument, 0...120)
            case "--no-warm-up": options.warmUp = false
            case "--worker": options.workerMode = true
            case "--wire": options.wireURL = try value(argument)
            case "--silence-ms": options.silenceMilliseconds = Int(try number(argument, 100...5000))
            case "-h", "--help":
                print("usage: call-load [--calls N=10] [--turns T=3] [--seconds S=2.5 caller speech per turn] [--ramp R seconds] [--no-warm-up]")
                exit(0)
            default: throw CallScriptError(description: "unknown argument \(argument)")
            }
        }
        return options
    }
}

/// Fixed provider latencies (the setup).
enum FixedLatency {
    static let speechToText = Duration.milliseconds(300)
    static let firstToken = Duration.milliseconds(250)
    static let tokenInterval = Duration.milliseconds(20)
    static let textToSpeechFirstChunk = Duration.milliseconds(200)
    static let endOfTurnSilence = Duration.milliseconds(800)
    /// 25 tokens; the first sentence ends with token 7.
    static let replyTokens = [
        "Yes, ", "we ", "have ", "a ", "free ", "table ", "tonight. ",
        "I ", "have ", "booked ", "it ", "for ", "two ", "at ", "seven ", "thirty ", "under ", "your ", "name ",
        "and ", "we ", "look ", "forward ", "to ", "it.",
    ]
    static let firstSentenceTokens = 7
    /// STT + first token + rest of the first sentence + TTS first chunk + end-of-turn silence.
    static var fixedWaitMilliseconds: Double {
        let firstSentence = firstToken + tokenInterval * (firstSentenceTokens - 1)
        return Double((speechToText + firstSentence + textToSpeechFirstChunk + endOfTurnSilence) / .milliseconds(1))
    }
}

let options: Options
do {
    options = try Options.parse(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("call-load: \(error)\n".utf8))
    exit(2)
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .error
    return handler
}

if options.workerMode {
    do {
        try await LoadWorker.run(
            wireURL: options.wireURL, maximumCalls: options.calls,
            endOfTurnSilence: .milliseconds(options.silenceMilliseconds))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("call-load worker: \(error)\n".utf8))
        exit(1)
    }
}

do {
    try await LoadRun(options: options).run()
} catch {
    FileHandle.standardError.write(Data("call-load: \(error)\n".utf8))
    exit(1)
}
