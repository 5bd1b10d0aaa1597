import CallAudio
import CallEngine
import CallTesting
import CallWorker
import Foundation
import Logging
import NIOConcurrencyHelpers
import OpenAIServices
import ServiceLifecycle
import SpeechServices
import TwilioMediaStreams

/// Offline demo: one simulated phone call, end to end, no API key and no network.
///
/// - STT and LLM: the OpenAI clients talk to a local OpenAI-wire-compatible server whose
///   transcripts and replies are SCRIPTED (printed as such).
/// - TTS: real speech from espeak-ng. The caller's phrases are espeak-ng speech too.
/// - The worker (Hummingbird + WebSocket) runs in-process; the caller is a Twilio media-stream
///   simulator over a real WebSocket. Prints the transcript and per-turn latency and writes
///   the call audio (stereo WAV: caller left, agent right).
@main
struct CallDemo {
    static let callerPhrases = [
        "Hi, I would like to book a table for two tonight.",
        "At seven thirty please. The name is Alex.",
        "No, that is all. Thank you!",
    ]
    static let agentReplies = [
        "Sure! What time would you like, and under which name?",
        "Great, a table for two at seven thirty for Alex. Anything else?",
        "You are welcome. Enjoy your dinner, goodbye!",
    ]

    /// Keeps the delivered result.
    final class ResultBox: ResultSink {
        let result = NIOLockedValueBox<CallResult?>(nil)
        let (stream, continuation) = AsyncStream.makeStream(of: CallResult.self)
        func deliver(_ result: CallResult) async throws {
            self.result.withLockedValue { $0 = result }
            continuation.yield(result)
        }
    }

    static func main() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
            return handler
        }
        let output = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "call-demo-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        print("call-demo: offline call. STT transcripts and LLM replies are SCRIPTED; speech is espeak-ng.\n")

        let wire = OpenAIWireServer(defaults: .init(transcript: callerPhrases[0], chat: .text(agentReplies[0])))
        try await wire.start()
        for phrase in callerPhrases { wire.enqueue(WireBehavior(.transcription(phrase)), for: .transcriptions) }
        for reply in agentReplies { wire.enqueue(WireBehavior(.chat(.text(reply))), for: .chatCompletions) }

        let client = OpenAIClient(configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey("sk-offline-demo"), baseURL: wire.baseURL))
        let logger = Logger(label: "call-demo")
        let providers = CallProviders(
            speechToText: ResilientSpeechToText(client.transcriber, logger: logger),
            languageModel: ResilientLanguageModel(client.chatModel, logger: logger),
            textToSpeech: ResilientTextToSpeech(EspeakTextToSpeech(), logger: logger),
            ttsCache: TTSCache()
        )
        var bot = CallEngineConfiguration(
            systemPrompt: "You are the receptionist of Bella Vista. (Replies are scripted in this demo.)",
            greeting: "Hello, thanks for calling Bella Vista. How can I help you?",
            recordingDirectory: output.path
        )
        let endOfSpeechWait = Duration.milliseconds(700)
        bot.voiceActivity.segmenter.stopHangover = endOfSpeechWait
        // The scripted STT answers requests in order, whatever the audio: a speculative request
        // of a mid-sentence pause would take the next caller's line. Real STT has no such order.
        bot.speculation.enabled = false
        let sink = ResultBox()
        // Offline demo: no Twilio account, so signatures are off (as TWILIO_SIGNATURES=off).
        var workerConfiguration = WorkerConfiguration(host: "127.0.0.1", port: 0)
        workerConfiguration.security = .development
        let server = CallWorkerServer(
            configuration: workerConfiguration,
            catalog: BotCatalog(bots: ["demo": bot]),
            providers: providers,
            resultSink: sink,
            logger: logger
        )
        await server.prewarmTextToSpeech()

        // Caller speech: espeak-ng at 8 kHz -> mu-law 20 ms frames.
        var callerFrames: [[[UInt8]]] = []
        for phrase in callerPhrases {
            let samples = try await Espeak.synthesize(phrase, voice: "en-gb", sampleRate: 8000)
            let codes = MuLaw.encode(samples)
            callerFrames.append(stride(from: 0, to: codes.count - 159, by: 160).map { Array(codes[$0..<($0 + 160)]) })
        }

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = server.makeApplication { port in portContinuation.yield(port) }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: server.drainService)], logger: logger))
        let running = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw CancellationError() }

        let callSid = "CA" + String(repeating: "0", count: 30) + "42"
        let frames = callerFrames
        _ = try await TwilioWebSocketCaller.call(
            url: "ws://127.0.0.1:\(port)/ws/demo", callSid: callSid, recordsPlayedAudio: false,
            logger: Logger(label: "call-demo.caller")
        ) { caller in
            caller.connectedAndStart()
            // Before each phrase, and at the end: wait until the agent has said something new
            // and finished it (nothing queued, every mark echoed).
            var heard = 0
            for index in 0...frames.count {
                let before = heard
                try await caller.waitInSilence(seconds: 20) {
                    $0.mediaMessagesReceived > before && $0.queuedByteCount == 0 && $0.pendingMarkNames.isEmpty
                }
                heard = caller.state.mediaMessagesReceived
                guard index < frames.count else { break }
                print("caller: \(callerPhrases[index])")
                try await caller.play(frames[index])
            }
            caller.stop()
        }
        var results = sink.stream.makeAsyncIterator()
        guard let result = await results.next() else { throw CancellationError() }

        print("\nTranscript (call \(result.identity.callID), ended: \(result.endReason.rawValue)):")
        for entry in result.transcript {
            switch entry {
            case .caller(let turn): print("  caller [scripted STT]: \(turn.text)")
            case .agent(let turn): print("  agent  [\(turn.kind.rawValue)]: \(turn.playedText)\(turn.interrupted ? " (interrupted)" : "")")
            case .tool(let exchange): print("  tool: \(exchange.call.name)")
            case .dtmf(let digits, _): print("  dtmf: \(digits)")
            }
        }
        print("\nPer-turn latency (caller stopped speaking -> first agent audio queued):")
        for (index, turn) in result.turns.enumerated() {
            guard let end = turn.callerSpeechEnded, let out = turn.firstAudioOut else { continue }
            let ms = Int((out - end) / .milliseconds(1))
            print("  turn \(index + 1): \(ms) ms (includes the \(Int(endOfSpeechWait / .milliseconds(1))) ms end-of-speech wait)")
        }
        let recordings = (try? FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0 == result.identity.callID + ".wav" }) ?? []
        for name in recordings {
            print("\nCall audio (stereo WAV, caller left, agent right): \(output.appendingPathComponent(name).path)")
        }

        await group.triggerGracefulShutdown()
        try await running.value
        await wire.shutdown()
        try await client.shutdown()
    }
}
