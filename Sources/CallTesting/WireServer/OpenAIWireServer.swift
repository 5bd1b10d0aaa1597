import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SpeechServices

/// A local HTTP server (Hummingbird, 127.0.0.1, ephemeral port) that speaks OpenAI's wire
/// format for transcriptions (multipart upload → JSON), streamed chat completions
/// (server-sent events) and speech (chunked PCM), with scripted answers and injected faults.
///
/// Each endpoint has a queue of ``WireBehavior``s consumed one per request, and a default
/// behavior used when the queue is empty. Every request is recorded for assertions.
/// Requests are validated like the real API (required fields, a WAV file, the upload size
/// limit, the API key when ``expectedAPIKey`` is set) and rejected with OpenAI-style errors.
/// `GET /v1/models` answers a one-model list (clients use it to pre-connect).
///
/// The server counts requests in flight (``requestsInFlight``, ``peakInFlight``), so a load
/// test can show how many requests a client really had open at once, and a behavior can hold
/// its answer until a number of requests are in flight (``WireBehavior/holdUntilInFlight``).
/// Hostile answers for robustness tests: ``WireBehavior/htmlPage``,
/// ``WireBehavior/giantSSELine(bytes:)``, ``WireBehavior/endlessDeltas(content:)``,
/// ``WireBehavior/hugeSpeech(bytes:)`` and ``WireBehavior/rateLimited(retryAfterValue:retryAfterMillisecondsValue:)``.
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
    private let state = NIOLockedValueBox(State())
    let stallGate = StallGate()
    private let inFlight = InFlightGauge()
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
        let router = Router(context: WireRequestContext.self)
        for endpoint in WireEndpoint.allCases {
            let handler: @Sendable (Request, WireRequestContext) async throws -> Response = { [self] request, context in
                try await self.serve(endpoint: endpoint, request: request, remotePort: context.remotePort)
            }
            if endpoint == .models {
                router.get(RouterPath(endpoint.rawValue), use: handler)
            } else {
                router.post(RouterPath(endpoint.rawValue), use: handler)
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
        state.withLockedValue {
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
        let (task, group) = state.withLockedValue { state -> (Task<Void, any Error>?, ServiceGroup?) in
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
    public var port: Int? { state.withLockedValue { $0.port } }

    /// `http://127.0.0.1:<port>/v1`, the base URL for an OpenAI client.
    public var baseURL: String { "http://127.0.0.1:\(port ?? 0)/v1" }

    /// Queues behaviors for the next requests to `endpoint`.
    public func enqueue(_ behaviors: WireBehavior..., for endpoint: WireEndpoint) {
        state.withLockedValue { $0.queues[endpoint, default: []].append(contentsOf: behaviors) }
    }

    /// Sets the behavior used when `endpoint`'s queue is empty (initially ``WireBehavior/success``).
    public func setDefault(_ behavior: WireBehavior, for endpoint: WireEndpoint) {
        state.withLockedValue { $0.defaults[endpoint] = behavior }
    }

    /// Every request received so far.
    public var requests: [RecordedRequest] { state.withLockedValue { $0.requests } }

    /// Requests received by `endpoint` so far.
    public func requests(for endpoint: WireEndpoint) -> [RecordedRequest] {
        state.withLockedValue { $0.requests.filter { $0.endpoint == endpoint } }
    }

    /// Number of requests received by `endpoint`.
    public func requestCount(for endpoint: WireEndpoint) -> Int {
        state.withLockedValue { $0.requests.lazy.filter { $0.endpoint == endpoint }.count }
    }

    /// Requests in flight now (from the handler's start until the response body is written).
    public var requestsInFlight: Int { inFlight.current }

    /// Most requests in flight at once since the start or the last ``resetPeakInFlight()``:
    /// how many requests a client really had open concurrently.
    public var peakInFlight: Int { inFlight.peak }

    /// Sets ``peakInFlight`` to the number of requests in flight now.
    public func resetPeakInFlight() {
        inFlight.resetPeak()
    }

    // MARK: - Handling

    /// Counts the request in flight until its response body is written (or dropped).
    private func serve(endpoint: WireEndpoint, request: Request, remotePort: Int?) async throws -> Response {
        let token = InFlightGauge.Token(gauge: inFlight)
        let response: Response
        do {
            response = try await handle(endpoint: endpoint, request: request, remotePort: remotePort, entry: token.entry)
        } catch {
            token.release()
            throw error
        }
        var tracked = response
        let body = response.body
        tracked.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { token.release() }
            try await body.write(writer)
        }
        return tracked
    }

    private func handle(endpoint: WireEndpoint, request: Request, remotePort: Int?, entry: Int) async throws -> Response {
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
        let recorded = RecordedRequest(endpoint: endpoint, headers: headers, body: body, formFields: formFields, remotePort: remotePort)
        let (behavior, requestNumber) = state.withLockedValue { state -> (WireBehavior, Int) in
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
        if let threshold = behavior.holdUntilInFlight {
            await waitForInFlight(threshold, since: entry, timeout: behavior.holdTimeout)
        }
        var extraHeaders = behavior.headers
        extraHeaders.append(("x-request-id", requestID))
        switch behavior.body {
        case .error(let status, let type, let code, let message):
            return errorResponse(status: status, type: type, code: code, message: message, requestID: requestID, extraHeaders: behavior.headers)
        case .raw(let status, let contentType, let bytes):
            return streamedResponse(status: status, contentType: contentType, parts: WireParts([bytes]), behavior: behavior, headers: extraHeaders)
        case .repeated(let contentType, let prefix, let part, let count):
            let parts = WireParts(prefix: prefix, part: part, count: count)
            return streamedResponse(status: 200, contentType: contentType, parts: parts, behavior: behavior, headers: extraHeaders)
        default:
            let (contentType, parts) = successParts(endpoint: endpoint, body: behavior.body, recorded: recorded, requestNumber: requestNumber)
            return streamedResponse(status: 200, contentType: contentType, parts: WireParts(parts), behavior: behavior, headers: extraHeaders)
        }
    }

    /// Waits until `threshold` requests are (or were, since entry `since`) in flight, `timeout`
    /// passes or the server shuts down.
    private func waitForInFlight(_ threshold: Int, since: Int, timeout: Duration) async {
        let gauge = inFlight
        let gate = stallGate
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await gauge.wait(untilAtLeast: threshold, since: since) }
            group.addTask { try? await gate.pause(timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}
