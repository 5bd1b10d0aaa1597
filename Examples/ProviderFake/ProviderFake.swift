// provider-fake: the local OpenAI-wire provider for development, as a standalone server.
// Serves /v1/audio/transcriptions, /v1/chat/completions and /v1/audio/speech with scripted
// answers (CallTesting's OpenAIWireServer), so a call-worker, the compose stack, the HAProxy
// fleet check and the container check can run calls offline, without an API key.
//
//   provider-fake --host 0.0.0.0 --port 9000
//   OPENAI_BASE_URL=http://127.0.0.1:9000/v1 OPENAI_API_KEY=sk-dev call-worker
//
// Prints `provider-fake listening on http://HOST:PORT/v1` once it listens (with --port 0 the
// kernel picks the port), runs until SIGTERM or SIGINT, then prints the request counts and
// the most requests it had in flight at once.
//
// Fixed latencies for load tests (call-load uses these):
//
//   provider-fake --port 0 --stt-ms 300 --first-token-ms 250 --token-interval-ms 20 \
//       --tts-first-audio-ms 200 --tts-chunk-interval-ms 50 --speech-ms-per-char 65 \
//       --reply 'Yes, table {request} is free tonight. ...'
//
// `{request}` in --reply is replaced by the request's number: every reply is a different text.

import ArgumentParser
import CallTesting
import Foundation
import Logging
import UnixSignals

@main
struct ProviderFake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider-fake",
        abstract: "A local OpenAI-compatible provider (transcriptions, streamed chat, PCM speech) with scripted answers."
    )

    @Option(help: "Listen address (0.0.0.0 inside a container).")
    var host = "127.0.0.1"

    @Option(help: "Listen port (0: any free port, printed at startup).")
    var port = 9000

    @Option(help: "What every transcription returns.")
    var transcript = "Hello, I would like to book a table for two."

    @Option(help: "The agent's reply streamed by every chat completion.")
    var reply = "Sure. What time would you like?"

    @Option(name: .customLong("api-key"), help: "When set, requests without `Authorization: Bearer <key>` get a 401.")
    var apiKey: String?

    @Option(name: .customLong("speech-ms-per-char"), help: "Milliseconds of synthesized speech (a tone) per input character.")
    var speechMillisecondsPerCharacter = 10

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("stt-ms"), help: "Milliseconds before a transcription answer.")
    var speechToTextMilliseconds = 0

    @Option(name: .customLong("first-token-ms"), help: "Milliseconds from a chat request to its first text token.")
    var firstTokenMilliseconds = 0

    @Option(name: .customLong("token-interval-ms"), help: "Milliseconds between streamed chat tokens (words of --reply).")
    var tokenIntervalMilliseconds = 0

    @Option(name: .customLong("tts-first-audio-ms"), help: "Milliseconds from a speech request to its first audio.")
    var speechFirstAudioMilliseconds = 0

    @Option(name: .customLong("tts-chunk-ms"), help: "Milliseconds of audio per streamed speech chunk.")
    var speechChunkMilliseconds = 100

    @Option(name: .customLong("tts-chunk-interval-ms"), help: "Milliseconds between speech chunks (below --tts-chunk-ms: faster than real time).")
    var speechChunkIntervalMilliseconds = 0

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard speechMillisecondsPerCharacter > 0 else { throw ValidationError("--speech-ms-per-char must be > 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        let latencies = [speechToTextMilliseconds, firstTokenMilliseconds, tokenIntervalMilliseconds, speechFirstAudioMilliseconds, speechChunkIntervalMilliseconds]
        guard latencies.allSatisfy({ (0...60_000).contains($0) }) else { throw ValidationError("latencies must be in 0...60000 ms") }
        guard (10...5_000).contains(speechChunkMilliseconds) else { throw ValidationError("--tts-chunk-ms must be in 10...5000") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let chat = ChatScript.text(reply)
        let server = OpenAIWireServer(
            expectedAPIKey: apiKey,
            defaults: .init(
                transcript: transcript, chat: chat, speechMillisecondsPerCharacter: speechMillisecondsPerCharacter,
                speechChunkBytes: speechChunkMilliseconds * 48  // 24 kHz PCM16
            )
        )
        server.setDefault(WireBehavior(headDelay: .milliseconds(speechToTextMilliseconds)), for: .transcriptions)
        // Part 0 is the role chunk; the first text token (part 1) follows one interval later.
        let interval = Duration.milliseconds(tokenIntervalMilliseconds)
        server.setDefault(
            WireBehavior(firstPartDelay: max(.zero, .milliseconds(firstTokenMilliseconds) - interval), partInterval: interval),
            for: .chatCompletions)
        server.setDefault(
            WireBehavior(headDelay: .milliseconds(speechFirstAudioMilliseconds), partInterval: .milliseconds(speechChunkIntervalMilliseconds)),
            for: .speech)
        // Trap the signals before listening, so a SIGTERM right after the start line is not lost.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let bound = try await server.start(host: host, port: port)
        say("provider-fake listening on http://\(host):\(bound)/v1")
        for await signal in signals {
            say("provider-fake: \(signal), shutting down")
            break
        }
        await server.shutdown()
        say("provider-fake: served \(server.requestCount(for: .transcriptions)) transcription(s), "
            + "\(server.requestCount(for: .chatCompletions)) chat completion(s), \(server.requestCount(for: .speech)) speech request(s), "
            + "peak \(server.peakInFlight) request(s) in flight")
    }
}

/// Writes a line to stdout unbuffered, so a script waiting for it sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
