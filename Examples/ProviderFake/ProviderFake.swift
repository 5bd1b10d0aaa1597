// provider-fake: the local OpenAI-wire provider for development, as a standalone server.
// Serves /v1/audio/transcriptions, /v1/chat/completions and /v1/audio/speech with scripted
// answers (CallTesting's OpenAIWireServer), so a call-worker, the compose stack, the HAProxy
// fleet check and the container check can run calls offline, without an API key.
//
//   provider-fake --host 0.0.0.0 --port 9000
//   OPENAI_BASE_URL=http://127.0.0.1:9000/v1 OPENAI_API_KEY=sk-dev call-worker
//
// Prints `provider-fake listening on http://HOST:PORT/v1` once it listens (with --port 0 the
// kernel picks the port), runs until SIGTERM or SIGINT, then prints the request counts.

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

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard speechMillisecondsPerCharacter > 0 else { throw ValidationError("--speech-ms-per-char must be > 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let server = OpenAIWireServer(
            expectedAPIKey: apiKey,
            defaults: .init(transcript: transcript, chat: .text(reply), speechMillisecondsPerCharacter: speechMillisecondsPerCharacter)
        )
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
            + "\(server.requestCount(for: .chatCompletions)) chat completion(s), \(server.requestCount(for: .speech)) speech request(s)")
    }
}

/// Writes a line to stdout unbuffered, so a script waiting for it sees it at once.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
