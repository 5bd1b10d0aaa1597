// call-simulator: a Twilio caller for any media-stream worker. Plays WAV or raw mu-law files
// over a real WebSocket the way Twilio does (connected, start, media in real time, mark echoes
// after the audio before them has played, all pending ones at once on `clear`, dtmf, stop),
// records what the agent said to a WAV, and prints each turn's reply latency.
//
//   call-simulator ws://127.0.0.1:8080/ws/demo hello.wav question.ulaw
//   call-simulator --dtmf 12# --param reservation_id=... --out agent.wav URL FILE...
//
// Each file is one caller turn: the simulator waits until the agent has finished speaking
// (everything played, every mark echoed, --quiet-ms of quiet; at most --wait seconds), then plays the
// file, then sends line noise until the agent's reply has played. WAV input at any rate is
// resampled to 8 kHz (libsoxr) and mu-law encoded; `.ulaw`/`.raw`/`.mulaw` files are raw 8 kHz
// mu-law bytes.

import CallAudio
import CallTesting
import Foundation
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import TwilioMediaStreams

struct Options {
    var url = ""
    var files: [String] = []
    var callSid = "CA" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    var parameters: [String: String] = [:]
    var dtmf: String?
    var output = "agent.wav"
    var wait = 20.0
    var quiet = Duration.milliseconds(800)
    var twilioAuthToken: String?
    var signedURL: String?

    static let usage = """
    usage: call-simulator [options] ws://host:port/ws/{botId} FILE...
      FILE                 a caller turn: WAV (any rate, PCM16/mu-law/A-law) or raw 8 kHz mu-law (.ulaw/.raw/.mulaw)
      --call-sid CA...     the call's id (default: random)
      --param NAME=VALUE   a stream custom parameter (repeatable), e.g. reservation_id=...
      --dtmf DIGITS        keys pressed after the last turn, one per 200 ms
      --out PATH           WAV of what the agent said, on the call's timeline (default agent.wav)
      --wait SECONDS       longest wait for the agent to finish a reply (default 20)
      --quiet-ms MS        quiet after the last agent audio (all played, all marks echoed) that ends a reply
                           (default 800; raise it if the agent's speech pauses longer between sentences)
      --twilio-auth-token T  sign the upgrade with X-Twilio-Signature (as Twilio does)
      --signed-url URL     the wss:// URL to sign (default: the URL with ws -> wss)
    """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        func value(_ flag: String) throws -> String {
            guard let next = iterator.next() else { throw SimulatorError("\(flag) needs a value") }
            return next
        }
        while let argument = iterator.next() {
            switch argument {
            case "--call-sid": options.callSid = try value(argument)
            case "--param":
                let pair = try value(argument).split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, !pair[0].isEmpty else { throw SimulatorError("--param expects NAME=VALUE") }
                options.parameters[pair[0]] = pair[1]
            case "--dtmf": options.dtmf = try value(argument)
            case "--out": options.output = try value(argument)
            case "--wait":
                guard let seconds = Double(try value(argument)), seconds > 0 else { throw SimulatorError("--wait expects seconds > 0") }
                options.wait = seconds
            case "--quiet-ms":
                guard let milliseconds = Int(try value(argument)), milliseconds >= 0 else { throw SimulatorError("--quiet-ms expects milliseconds >= 0") }
                options.quiet = .milliseconds(milliseconds)
            case "--twilio-auth-token": options.twilioAuthToken = try value(argument)
            case "--signed-url": options.signedURL = try value(argument)
            case "-h", "--help": throw SimulatorError(usage)
            default:
                if argument.hasPrefix("--") { throw SimulatorError("unknown option \(argument)\n\(usage)") }
                if options.url.isEmpty { options.url = argument } else { options.files.append(argument) }
            }
        }
        guard options.url.hasPrefix("ws://") || options.url.hasPrefix("wss://") else { throw SimulatorError(usage) }
        return options
    }
}

struct SimulatorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Loads one caller turn as 160-byte mu-law frames.
func loadTurn(_ path: String) throws -> [[UInt8]] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let codes: [UInt8]
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "ulaw", "mulaw", "raw", "ul":
        codes = bytes
    default:
        let wav = try WAVFile(parsing: bytes)
        if wav.format == .telephony {
            codes = wav.data
        } else {
            let samples = wav.monoPCM16Samples()
            let rate = Double(wav.format.sampleRate)
            let narrowband = rate == 8000 ? samples : try StreamingResampler<Int16>.resample(samples, from: rate, to: 8000)
            codes = MuLaw.encode(narrowband)
        }
    }
    guard codes.count >= 160 else { throw SimulatorError("\(path): shorter than one 20 ms frame") }
    return stride(from: 0, to: codes.count - 159, by: 160).map { Array(codes[$0..<($0 + 160)]) }
}

/// When each agent reply started, relative to the caller's end of speech.
final class ReplyClock: Sendable {
    private struct State {
        var speechEnd: Duration?
        var latencies: [Duration] = []
        var lastAudio: Duration = .zero
    }
    private let state = NIOLockedValueBox(State())

    func speechEnded(at now: Duration) { state.withLockedValue { $0.speechEnd = now } }
    var latencies: [Duration] { state.withLockedValue { $0.latencies } }
    var lastAudio: Duration { state.withLockedValue { $0.lastAudio } }

    func observe(carriedAudio: Bool, now: Duration) {
        guard carriedAudio else { return }
        state.withLockedValue { state in
            state.lastAudio = now
            if let end = state.speechEnd {
                state.latencies.append(now - end)
                state.speechEnd = nil
            }
        }
    }
}

func milliseconds(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }

@main
struct CallSimulator {
    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        do {
            try await run(try Options.parse(Array(CommandLine.arguments.dropFirst())))
        } catch {
            FileHandle.standardError.write(Data("call-simulator: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ options: Options) async throws {
        let turns = try options.files.map { (path: $0, frames: try loadTurn($0)) }
        var headers: HTTPFields = [:]
        if let token = options.twilioAuthToken {
            let signed = options.signedURL ?? options.url.replacingOccurrences(of: "ws://", with: "wss://")
            let signature = TwilioSignatureValidator(authToken: token).signature(url: signed, parameters: [:])
            if let name = HTTPField.Name("X-Twilio-Signature") { headers[name] = signature }
        }
        let configuration = TwilioCallerSimulator.Configuration(
            callSid: options.callSid,
            streamSid: "MZ" + options.callSid.dropFirst(2),
            customParameters: options.parameters,
            recordsPlayedAudio: true,
            recordsIdleAsSilence: true
        )
        let clock = ReplyClock()
        let wait = options.wait
        let quiet = options.quiet
        print("call-simulator: call \(options.callSid) -> \(options.url), \(turns.count) caller turn(s)")
        let final = try await TwilioWebSocketCaller.call(
            url: options.url, configuration: configuration, headers: headers,
            observer: { _, carriedAudio, now in clock.observe(carriedAudio: carriedAudio, now: now) }
        ) { caller in
            caller.connectedAndStart()
            @Sendable func agentDone() -> Bool {
                caller.releaseDueEchoes()
                let state = caller.state
                return state.mediaMessagesReceived > 0 && state.queuedByteCount == 0 && state.pendingMarkNames.isEmpty
                    && caller.now - clock.lastAudio >= quiet
            }
            let greeted = try await caller.waitInSilence(seconds: wait) { _ in agentDone() }
            print(greeted ? "agent:  greeting played" : "agent:  no greeting within \(Int(wait)) s")
            for (index, turn) in turns.enumerated() {
                if caller.isServerClosed { break }
                print("caller: turn \(index + 1), \(turn.path) (\(turn.frames.count * 20) ms)")
                let heardBefore = caller.state.mediaMessagesReceived
                try await caller.play(turn.frames)
                clock.speechEnded(at: caller.now)
                let replied = try await caller.waitInSilence(seconds: wait) { state in
                    state.mediaMessagesReceived > heardBefore && agentDone()
                }
                let latency = clock.latencies.count > index ? "\(milliseconds(clock.latencies[index])) ms" : "no reply"
                print("agent:  reply \(replied ? "played" : "incomplete"), latency \(latency) (caller's last frame -> first agent audio)")
            }
            if let digits = options.dtmf, !caller.isServerClosed {
                for digit in digits {
                    caller.send { $0.dtmfMessage(digit: String(digit)) }
                    try await caller.play(SyntheticCallerAudio.silence(seconds: 0.2))
                }
                print("caller: pressed \(digits)")
                try await caller.waitInSilence(seconds: wait) { _ in agentDone() }
            }
            if !caller.isServerClosed {
                caller.stop()
                print("caller: hung up")
            } else {
                print("agent:  hung up")
            }
        }
        let wav = try WAVFile(format: .telephony, data: final.playedAudio)
        try Data(wav.serialized()).write(to: URL(fileURLWithPath: options.output))
        let latencies = clock.latencies.map(milliseconds)
        print("""
        summary: \(latencies.count) repl\(latencies.count == 1 ? "y" : "ies"), latency \(latencies.map { "\($0) ms" }.joined(separator: ", "))
                 agent audio \(final.playedByteCount / 8) ms played, \(final.flushedByteCount / 8) ms flushed by \(final.clearsReceived) clear(s), \
        \(final.echoes.count) mark echo(es)
                 wrote \(options.output) (\(String(format: "%.1f", wav.duration)) s, 8 kHz mu-law)
        """)
    }
}
