import CallEngine
import CallWorker
import Foundation
import Logging
import OpenAIServices
import ServiceLifecycle
import SpeechServices

/// The worker side of the load test, run in a child process so that its CPU time and
/// memory can be read from `/proc/<pid>` without the simulator's share.
///
/// STT and LLM: the real OpenAI clients (AsyncHTTPClient, SSE parsing) against the parent's
/// local OpenAI-wire server, which answers with fixed latency. TTS: ``FixedLatencyTextToSpeech``.
enum LoadWorker {
    /// Discards results (the load test measures the worker, not result delivery).
    struct DiscardingSink: ResultSink {
        func deliver(_ result: CallResult) async throws {}
    }

    static let greeting = "Hello, thanks for calling Bella Vista. How can I help you?"

    static func run(wireURL: String, maximumCalls: Int, endOfTurnSilence: Duration) async throws {
        let logger = Logger(label: "call-load.worker")
        let client = OpenAIClient(configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey("sk-load-test"), baseURL: wireURL))
        let providers = CallProviders(
            speechToText: ResilientSpeechToText(client.transcriber, logger: logger),
            languageModel: ResilientLanguageModel(client.chatModel, logger: logger),
            textToSpeech: ResilientTextToSpeech(FixedLatencyTextToSpeech(), logger: logger),
            ttsCache: TTSCache()
        )
        var bot = CallEngineConfiguration(
            systemPrompt: "You are the receptionist of Bella Vista. (Load test: replies are scripted.)",
            greeting: greeting
        )
        bot.voiceActivity.segmenter.stopHangover = endOfTurnSilence
        bot.idle = IdlePolicy(timeout: .seconds(120))
        // Local load test: no Twilio account, so signatures are off (as TWILIO_SIGNATURES=off).
        var workerConfiguration = WorkerConfiguration(host: "127.0.0.1", port: 0, maximumConcurrentCalls: maximumCalls)
        workerConfiguration.security = .development
        let server = CallWorkerServer(
            configuration: workerConfiguration,
            catalog: BotCatalog(bots: ["load": bot]),
            providers: providers,
            resultSink: DiscardingSink(),
            logger: logger
        )
        await server.prewarmTextToSpeech()
        let application = server.makeApplication { port in
            FileHandle.standardOutput.write(Data("PORT \(port)\n".utf8))
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: application), .init(service: server.drainService)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        try await client.shutdown()
    }
}
