import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SpeechServices
import Synchronization

/// A local HTTP server (Hummingbird, 127.0.0.1, ephemeral port) that speaks OpenAI's wire
/// format for transcriptions (multipart upload → JSON), streamed chat completions
/// (server-sent events) and speech (chunked PCM), with scripted answers and injected faults.
///
/// Each endpoint has a queue of ``WireBehavior``s consumed one per request, and a default
/// behavior used when the queue is empty. Every request is recorded for assertions.
/// Requests are validated like the real API (required fields, a WAV file, the upload size
/// limit, the API key when ``expectedAPIKey`` is set) and rejected with OpenAI-style errors.
///
/// ```swift
/// try await OpenAIWireServer.withRunningServer { server in
///     server.enqueue(.rateLimited(retryAfterMilliseconds: 10), for: .chatCompletions)
///     let configuration = OpenAIConfiguration(apiKey: OpenAIAPIKey("sk-test"), baseURL: server.baseURL)
///     …
/// }
/// ```
public final class OpenAIWireServer: Sendable {
    /// Content of the default answers.
    public struct Defaults: Sendable {
        /// Text of the default transcription.
        public var transcript: String
        /// The default chat stream.
        public var chat: ChatScript
        /// Milliseconds of default speech per input character (at least 200 ms in total).
        public var speechMillisecondsPerCharacter: Int
        /// Bytes per part of streamed PCM (default 4800 = 100 ms at 24 kHz).
        public var speechChunkBytes: Int

        /// Creates defaults.
        public init(
            transcript: String = "Hello, I would like to book a table for two.",
            chat: ChatScript = .text("Sure. What time would you like?"),
            speechMillisecondsPerCharacter: Int = 10,
            speechChunkBytes: Int = 4800
        ) {
            self.transcript = transcript
            self.chat = chat
            self.speechMillisecondsPerCharacter = speechMillisecondsPerCharacter
            self.speechChunkBytes = max(2, speechChunkBytes & ~1)
        }
    }

    private struct State {
        var queues: [WireEndpoint: [WireBehavior]] = [:]
        var defaults: [WireEndpoint: WireBehavior] = [:]
        var requests: [RecordedRequest] = []
        var port: Int?
        var task: Task<Void, any Error>?
        var group: ServiceGroup?
    }

    /// Errors of the server itself.
    public enum ServerError: Error, Sendable {
        /// The server did not report a listening port.
        case failedToStart
        /// Thrown inside a response body to reset the connection.
        case injectedReset
    }

    /// When set, requests without `Authorization: Bearer <key>` get a 401.
    public let expectedAPIKey: String?
    /// Largest accepted transcription upload (default 25 MiB).
    public let maxUploadBytes: Int
    /// Content of default answers.
    public let defaults: Defaults
    private let state = Mutex(State())
    private let stallGate = StallGate()
    private let logger: Logger

    /// Creates a stopped server.
    public init(
        expectedAPIKey: String? = nil,
        maxUploadBytes: Int = 25 * 1024 * 1024,
        defaults: Defaults = Defaults(),
        logger: Logger = Logger(label: "call-testing.openai-wire")
    ) {
        self.expectedAPIKey = expectedAPIKey
        self.maxUploadBytes = maxUploadBytes
        self.defaults = defaults
        self.logger = logger
    }

    /// Starts a server, runs `body` with it, and shuts it down afterwards.
    public static func withRunningServer<T: Sendable>(
        expectedAPIKey: String? = nil,
        maxUploadBytes: Int = 25 * 1024 * 1024,
        defaults: Defaults = Defaults(),
        _ body: (OpenAIWireServer) async throws -> T
    ) async throws -> T {
        let server = OpenAIWireServer(expectedAPIKey: expectedAPIKey, maxUploadBytes: maxUploadBytes, defaults: defaults)
        try await server.start()
        do {
            let result = try await body(server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Starts listening and returns the port.
    /// - Parameters:
    ///   - host: the listen address (default 127.0.0.1; `0.0.0.0` for a development container).
    ///   - port: the listen port (default 0: an ephemeral port).
    @discardableResult
    public func start(host: String = "127.0.0.1", port requestedPort: Int = 0) async throws -> Int {
        let router = Router()
        for endpoint in WireEndpoint.allCases {
            router.post(RouterPath(endpoint.rawValue)) { [self] request, _ -> Response in
                try await self.handle(endpoint: endpoint, request: request)
            }
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int?.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: requestedPort)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let reported = await iterator.next(), let port = reported else {
            task.cancel()
            throw ServerError.failedToStart
        }
        state.withLock {
            $0.port = port
            $0.task = task
            $0.group = group
        }
        logger.debug("openai wire server listening", metadata: ["port": "\(port)"])
        return port
    }

    /// Releases stalled and delayed responses and shuts the server down gracefully.
    public func shutdown() async {
        stallGate.releaseAll()
        let (task, group) = state.withLock { state -> (Task<Void, any Error>?, ServiceGroup?) in
            defer {
                state.task = nil
                state.group = nil
            }
            return (state.task, state.group)
        }
        await group?.triggerGracefulShutdown()
        _ = await task?.result
    }

    /// The port, once started.
    public var port: Int? { state.withLock { $0.port } }

    /// `http://127.0.0.1:<port>/v1`, the base URL for an OpenAI client.
    public var baseURL: String { "http://127.0.0.1:\(port ?? 0)/v1" }

    /// Queues behaviors for the next requests to `endpoint`.
    public func enqueue(_ behaviors: WireBehavior..., for endpoint: WireEndpoint) {
        state.withLock { $0.queues[endpoint, default: []].append(contentsOf: behaviors) }
    }

    /// Sets the behavior used when `endpoint`'s queue is empty (initially ``WireBehavior/success``).
    public func setDefault(_ behavior: WireBehavior, for endpoint: WireEndpoint) {
        state.withLock { $0.defaults[endpoint] = behavior }
    }

    /// Every request received so far.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// Requests received by `endpoint` so far.
    public func requests(for endpoint: WireEndpoint) -> [RecordedRequest] {
        state.withLock { $0.requests.filter { $0.endpoint == endpoint } }
    }

    /// Number of requests received by `endpoint`.
    public func requestCount(for endpoint: WireEndpoint) -> Int {
        state.withLock { $0.requests.lazy.filter { $0.endpoint == endpoint }.count }
    }

    // MARK: - Handling

    private func handle(endpoint: WireEndpoint, request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: maxUploadBytes + (8 << 20))
        let body = Array(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        var formFields: [String: MultipartPart] = [:]
        var formError: String?
        if endpoint == .transcriptions {
            if let boundary = headers["content-type"].flatMap(MultipartParser.boundary(fromContentType:)) {
                do {
                    for part in try MultipartParser.parse(body, boundary: boundary) { formFields[part.name] = part }
                } catch {
                    formError = "Could not parse multipart form: \(error)"
                }
            } else {
                formError = "Expected multipart/form-data with a boundary."
            }
        }
        let recorded = RecordedRequest(endpoint: endpoint, headers: headers, body: body, formFields: formFields)
        let (behavior, requestNumber) = state.withLock { state -> (WireBehavior, Int) in
            state.requests.append(recorded)
            let behavior: WireBehavior
            if var queue = state.queues[endpoint], !queue.isEmpty {
                behavior = queue.removeFirst()
                state.queues[endpoint] = queue
            } else {
                behavior = state.defaults[endpoint] ?? .success
            }
            return (behavior, state.requests.count)
        }
        let requestID = "req_wire_\(requestNumber)"
        if let expectedAPIKey, headers["authorization"] != "Bearer \(expectedAPIKey)" {
            return errorResponse(status: 401, type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided.", requestID: requestID)
        }
        if let rejection = validate(endpoint: endpoint, recorded: recorded, formError: formError) {
            return errorResponse(status: rejection.status, type: "invalid_request_error", code: nil, message: rejection.message, requestID: requestID)
        }
        if behavior.headDelay > .zero { try await stallGate.pause(behavior.headDelay) }
        var extraHeaders = behavior.headers
        extraHeaders.append(("x-request-id", requestID))
        switch behavior.body {
        case .error(let status, let type, let code, let message):
            return errorResponse(status: status, type: type, code: code, message: message, requestID: requestID, extraHeaders: behavior.headers)
        case .raw(let status, let contentType, let bytes):
            return streamedResponse(status: status, contentType: contentType, parts: [bytes], behavior: behavior, headers: extraHeaders)
        default:
            let (contentType, parts) = successParts(endpoint: endpoint, body: behavior.body, recorded: recorded)
            return streamedResponse(status: 200, contentType: contentType, parts: parts, behavior: behavior, headers: extraHeaders)
        }
    }

    private func validate(endpoint: WireEndpoint, recorded: RecordedRequest, formError: String?) -> (status: Int, message: String)? {
        switch endpoint {
        case .transcriptions:
            if let formError { return (400, formError) }
            if recorded.body.count > maxUploadBytes { return (413, "Maximum content size limit (\(maxUploadBytes)) exceeded.") }
            guard let file = recorded.formFields["file"] else { return (400, "Missing required parameter: 'file'.") }
            guard let model = recorded.formFields["model"], !model.data.isEmpty else { return (400, "Missing required parameter: 'model'.") }
            let isWAV = file.data.count >= 12 && file.data[0..<4].elementsEqual("RIFF".utf8) && file.data[8..<12].elementsEqual("WAVE".utf8)
            if !isWAV { return (400, "Invalid file format. The file is not a valid WAV file.") }
            return nil
        case .chatCompletions:
            guard let json = recorded.json else { return (400, "We could not parse the JSON body of your request.") }
            guard json["model"] is String else { return (400, "you must provide a model parameter") }
            guard let messages = json["messages"] as? [[String: Any]], !messages.isEmpty else { return (400, "Missing required parameter: 'messages'.") }
            return nil
        case .speech:
            guard let json = recorded.json else { return (400, "We could not parse the JSON body of your request.") }
            guard json["model"] is String, json["voice"] != nil else { return (400, "Missing required parameter: 'model' or 'voice'.") }
            guard let input = json["input"] as? String, !input.isEmpty else { return (400, "Missing required parameter: 'input'.") }
            if input.count > 4096 { return (400, "Input is longer than 4096 characters.") }
            if let format = json["response_format"] as? String, format != "pcm" {
                return (400, "This wire server only produces response_format 'pcm', not '\(format)'.")
            }
            return nil
        }
    }

    private func successParts(endpoint: WireEndpoint, body: WireBehavior.Body, recorded: RecordedRequest) -> (String, [[UInt8]]) {
        switch (endpoint, body) {
        case (_, .rawEvents(let payloads)):
            return ("text/event-stream", payloads.map { Array("data: \($0)\n\n".utf8) })
        case (.chatCompletions, .chat(let script)):
            return chatParts(script, recorded: recorded)
        case (.chatCompletions, _):
            return chatParts(defaults.chat, recorded: recorded)
        case (.speech, .speech(let pcm, let chunkBytes)):
            return ("application/octet-stream", split(pcm, chunkBytes: chunkBytes))
        case (.speech, _):
            let input = recorded.json?["input"] as? String ?? ""
            let milliseconds = max(200, input.count * defaults.speechMillisecondsPerCharacter)
            let pcm = ToneGenerator.pcm16(frequency: 440, milliseconds: milliseconds, sampleRate: 24_000)
            return ("application/octet-stream", split(pcm, chunkBytes: defaults.speechChunkBytes))
        case (.transcriptions, .transcription(let text)):
            return ("application/json", [transcriptionJSON(text)])
        case (.transcriptions, _):
            return ("application/json", [transcriptionJSON(defaults.transcript)])
        }
    }

    private func chatParts(_ script: ChatScript, recorded: RecordedRequest) -> (String, [[UInt8]]) {
        let json = recorded.json
        let model = json?["model"] as? String ?? "gpt-4o-mini"
        let includeUsage = (json?["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        let payloads = script.eventPayloads(model: model, includeUsage: includeUsage)
        return ("text/event-stream", payloads.map { Array("data: \($0)\n\n".utf8) })
    }

    private func transcriptionJSON(_ text: String) -> [UInt8] {
        Array("{\"text\":\(JSONText.string(text)),\"usage\":{\"type\":\"duration\",\"seconds\":1}}".utf8)
    }

    private func split(_ bytes: [UInt8], chunkBytes: Int) -> [[UInt8]] {
        let size = max(1, chunkBytes)
        return stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    private func errorResponse(
        status: Int, type: String, code: String?, message: String, requestID: String, extraHeaders: [(String, String)] = []
    ) -> Response {
        let body = "{\"error\":{\"message\":\(JSONText.string(message)),\"type\":\(JSONText.string(type)),\"param\":null,\"code\":\(code.map(JSONText.string) ?? "null")}}"
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        Self.add(extraHeaders + [("x-request-id", requestID)], to: &fields)
        return Response(status: .init(code: status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private func streamedResponse(status: Int, contentType: String, parts: [[UInt8]], behavior: WireBehavior, headers: [(String, String)]) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = contentType
        Self.add(headers, to: &fields)
        let gate = stallGate
        return Response(
            status: .init(code: status),
            headers: fields,
            body: ResponseBody { writer in
                if behavior.firstPartDelay > .zero { try await gate.pause(behavior.firstPartDelay) }
                for (index, part) in parts.enumerated() {
                    if index == behavior.interruptAfterParts {
                        if let signal = behavior.interruptWhen { await signal.wait(orUntil: gate) }
                        switch behavior.interruption {
                        case .reset:
                            throw ServerError.injectedReset
                        case .stall:
                            await gate.wait()
                            throw ServerError.injectedReset
                        case .endCleanly:
                            try await writer.finish(nil)
                            return
                        case .truncateMidPart:
                            try await writer.write(ByteBuffer(bytes: part.prefix(max(1, part.count / 2))))
                            try await writer.finish(nil)
                            return
                        }
                    }
                    if index > 0, behavior.partInterval > .zero { try await gate.pause(behavior.partInterval) }
                    try await writer.write(ByteBuffer(bytes: part))
                }
                if let after = behavior.interruptAfterParts, after >= parts.count, behavior.interruption == .stall {
                    await gate.wait()
                    throw ServerError.injectedReset
                }
                try await writer.finish(nil)
            }
        )
    }

    private static func add(_ headers: [(String, String)], to fields: inout HTTPFields) {
        for (name, value) in headers {
            if let fieldName = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: fieldName, value: value)) }
        }
    }
}
