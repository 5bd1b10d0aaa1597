import AsyncHTTPClient
import CallEngine
import CallTesting
import CallWorker
import Foundation
import NIOHTTP1
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import SpeechServices
import Synchronization

/// An in-process worker on 127.0.0.1, port 0, with scripted providers and a recording sink.
struct WorkerHarness {
    let server: CallWorkerServer
    let sink: RecordingResultSink
    let stt: ScriptedSpeechToText
    let llm: ScriptedLanguageModel
    let tts: ScriptedTextToSpeech

    static func botConfiguration(greeting: String? = "Hi there.") -> CallEngineConfiguration {
        var configuration = CallEngineConfiguration(systemPrompt: "You are a test agent.", greeting: greeting)
        configuration.voiceActivity.segmenter.stopHangover = .milliseconds(600)
        configuration.limits.goodbyeGrace = .seconds(2)
        return configuration
    }

    init(
        maximumConcurrentCalls: Int = 1,
        twilioAuthToken: String? = nil,
        publicHost: String? = nil,
        bots: [String: CallEngineConfiguration] = ["demo": WorkerHarness.botConfiguration()],
        prometheus: PrometheusCollectorRegistry? = nil,
        fleet: FleetMembership? = nil,
        security: WorkerSecurityConfiguration? = nil,
        options: [String: BotCallOptions] = [:],
        twilio: WorkerTwilioSettings? = nil,
        attachSecret: String? = nil,
        logger: Logger = Logger(label: "worker-test")
    ) {
        stt = ScriptedSpeechToText()
        llm = ScriptedLanguageModel()
        tts = ScriptedTextToSpeech()
        sink = RecordingResultSink()
        var configuration = WorkerConfiguration(host: "127.0.0.1", port: 0)
        configuration.maximumConcurrentCalls = maximumConcurrentCalls
        configuration.twilioAuthToken = twilioAuthToken
        configuration.publicHost = publicHost
        // Without a token the harness runs as with TWILIO_SIGNATURES=off (the worker refuses
        // every signed route otherwise: fail closed).
        configuration.security = security ?? (twilioAuthToken == nil ? .development : WorkerSecurityConfiguration())
        configuration.twilio = twilio
        configuration.attachSecret = attachSecret
        server = CallWorkerServer(
            configuration: configuration,
            catalog: BotCatalog(bots: bots, options: options),
            providers: CallProviders(speechToText: stt, languageModel: llm, textToSpeech: tts, ttsCache: TTSCache()),
            resultSink: sink,
            prometheus: prometheus,
            fleet: fleet,
            logger: logger
        )
    }

    /// Runs the worker for the duration of `body`, which gets the port.
    func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = server.makeApplication { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        var services: [any Service] = []
        if let fleet = server.fleet {
            services.append(FleetService(membership: fleet, logger: Logger(label: "worker-test.fleet")))
        }
        services += [application, server.drainService]
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            logger: Logger(label: "worker-test.group")
        ))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.next()
                throw CancellationError()
            }
            do {
                let value = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// Small HTTP helpers over AsyncHTTPClient.
enum HTTP {
    static func request(
        _ method: HTTPMethod = .GET, _ url: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}
