import CallEngine
import CallResults
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Prometheus
import SpeechServices
import TwilioCallAdapter
import TwilioMediaStreams
import TwilioREST

/// The call worker: a Hummingbird 2 application with the Twilio media-stream WebSocket
/// (`/ws/{botId}`), the TwiML webhook (`POST /twiml/{botId}`), health, readiness and metrics
/// routes, plus the drain service that ends calls gracefully on shutdown.
///
/// Build it with the shared parts (bots, providers, result sink, statistics), then run
/// ``makeApplication(onServerRunning:)`` and ``drainService`` in one `ServiceGroup`, the
/// application first so the drain service is shut down (and finishes draining) before it.
public struct CallWorkerServer: Sendable {
    /// Environment settings.
    public let configuration: WorkerConfiguration
    /// The bots.
    public let catalog: BotCatalog
    /// Providers shared by all calls.
    public let providers: CallProviders
    /// Where post-call results go.
    public let resultSink: any ResultSink
    /// Worker-wide statistics (`/api/v1/metrics`).
    public let statistics: CallStatistics
    /// Call slots and drain state.
    public let registry: CallRegistry
    /// The Prometheus registry rendered at `/metrics`, when metrics are bootstrapped with one.
    public let prometheus: PrometheusCollectorRegistry?
    /// Membership in a fleet-wide capacity registry, when one is configured.
    public let fleet: FleetMembership?
    /// Limits and deadlines of media streams (message sizes, `start` deadline, pacing).
    public var adapterConfiguration: TwilioMediaStreamAdapter.Configuration
    /// Base logger.
    public let logger: Logger
    /// The real status of each refused WebSocket upgrade (see ``RefusedUpgradeResponses``).
    public let refusedUpgrades = RefusedUpgradeResponses()
    /// Open connections: the cap, header timeouts and their counters.
    public let connections: ConnectionGuard
    /// Signatures and the stream token.
    let authenticator: RequestAuthenticator
    /// Accepted upgrades whose handler has not claimed its slot yet.
    let pendingUpgrades = PendingUpgrades()
    /// Twilio's REST API (transfers, `/attach`), when `TWILIO_ACCOUNT_SID` is configured.
    public let twilio: TwilioRESTClient?
    /// Calls placed by `/attach`, by reservation id (idempotency).
    let attachments = AttachLedger()
    /// Asynchronous answering-machine results by call SID.
    let machineResults = MachineDetectionResults()

    /// Creates a server.
    public init(
        configuration: WorkerConfiguration,
        catalog: BotCatalog,
        providers: CallProviders,
        resultSink: any ResultSink,
        statistics: CallStatistics = CallStatistics(),
        prometheus: PrometheusCollectorRegistry? = nil,
        adapterConfiguration: TwilioMediaStreamAdapter.Configuration = .init(),
        fleet: FleetMembership? = nil,
        logger: Logger = Logger(label: "call-worker")
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.providers = providers
        self.resultSink = resultSink
        self.statistics = statistics
        self.registry = CallRegistry(capacity: configuration.maximumConcurrentCalls)
        self.prometheus = prometheus
        self.adapterConfiguration = adapterConfiguration
        self.fleet = fleet
        self.logger = logger
        self.connections = ConnectionGuard(
            maximumConnections: configuration.security.maximumConnections, headerTimeout: configuration.security.headerTimeout)
        self.authenticator = RequestAuthenticator(configuration: configuration)
        self.twilio = configuration.twilio.map { settings in
            TwilioRESTClient(credentials: settings.credentials, configuration: settings.rest, logger: logger)
        }
    }

    /// The `start` check every stream passes before its call begins (stream token).
    public var streamAdmission: StreamAdmission { authenticator.streamAdmission }

    /// The service that drains calls on graceful shutdown.
    public var drainService: CallDrainService {
        CallDrainService(registry: registry, budget: configuration.drainBudget, fleet: fleet, logger: logger)
    }

    /// Pre-synthesizes every bot's fixed lines (greeting, idle prompt, apology, goodbye) into
    /// the TTS cache. Failures are logged; the worker starts anyway.
    /// - Returns: the number of phrases that failed.
    @discardableResult
    public func prewarmTextToSpeech() async -> Int {
        guard let cache = providers.ttsCache else { return 0 }
        let caching = CachingTextToSpeech(providers.textToSpeech, cache: cache)
        var requests: [SpeechSynthesisRequest] = []
        for (_, bot) in catalog.bots.sorted(by: { $0.key < $1.key }) {
            for phrase in bot.cacheablePhrases {
                let request = SpeechSynthesisRequest(text: phrase, voice: bot.voice)
                if !requests.contains(request) { requests.append(request) }
            }
        }
        let failures = await caching.prewarm(requests, context: ProviderCallContext(logger: logger))
        for (request, error) in failures {
            logger.warning("TTS pre-warm failed", metadata: ["phrase": "\(request.text)", "error": "\(error)"])
        }
        logger.info("TTS cache pre-warmed", metadata: ["phrases": "\(requests.count)", "failed": "\(failures.count)"])
        return failures.count
    }

    /// Why the worker cannot take a call now, or nil when it can.
    public func unreadinessReason() -> String? {
        switch registry.admission() {
        case .draining: return "draining"
        case .full(let active, let capacity): return "full (\(active)/\(capacity) calls)"
        case .accept: break
        }
        if let reason = (resultSink as? any ResultStorageHealthReporting)?.storageHealth.unwritableReason {
            return "result spool unwritable: \(reason)"
        }
        // An operator's drain in the fleet registry: calls already reserved here still land
        // (they are not refused), but the load balancer should send nothing new.
        if let fleet {
            if !fleet.isRegistered { return "not registered in the capacity registry yet" }
            if fleet.isDrainingInRegistry { return "draining (capacity registry)" }
        }
        let stages: [(String, Any)] = [("stt", providers.speechToText), ("llm", providers.languageModel), ("tts", providers.textToSpeech)]
        for (stage, provider) in stages {
            if let guarded = provider as? any CircuitBreakerProviding, guarded.circuitBreaker.state == .open {
                return "dependency down: \(stage) provider \(guarded.circuitBreaker.descriptor.name) circuit open"
            }
        }
        return nil
    }

    /// Builds the Hummingbird application.
    /// - Parameter onServerRunning: called with the bound port once the server listens.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: WorkerRequestContext.self)
        addHTTPRoutes(to: router)
        let wsRouter = Router(context: WorkerRequestContext.self)
        addWebSocketRoute(to: wsRouter)
        let refused = refusedUpgrades
        let connections = self.connections
        let idle = configuration.security.idleTimeout
        let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(
                additionalChannelHandlers: [RefusedUpgradeStatusHandler(responses: refused)],
                idleTimeout: .nanoseconds(idle.components.seconds * 1_000_000_000 + idle.components.attoseconds / 1_000_000_000)
            ),
            // A peer that ignores our close frame is dropped after 5 s (default 15 s), so an
            // ended call never holds its handler long.
            ws: .init(maxFrameSize: 1 << 17, closeTimeout: .seconds(5))
        )
        let webSocketResponder = wsRouter.buildResponder()
        // Every connection gets the connection guard first (cap, slow-header timeout), then
        // Hummingbird's HTTP/1 + WebSocket upgrade pipeline (idle timeout after a request).
        let server = HTTPServerBuilder { responder in
            GuardedServerChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: channelConfiguration),
                connections: connections
            )
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "call-worker"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    // MARK: Routes

    private func addHTTPRoutes(to router: Router<WorkerRequestContext>) {
        let server = self
        router.get("/health") { _, _ in
            Self.json(#"{"ok":true}"#)
        }
        router.get("/health/ready") { _, _ in
            if let reason = server.unreadinessReason() {
                return Self.json(Self.object(["ready": false, "reason": reason]), status: .serviceUnavailable)
            }
            return Self.json(Self.object(["ready": true, "active_calls": server.registry.activeCount, "capacity": server.registry.capacity]))
        }
        router.get("/api/v1/metrics") { _, _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(server.statistics.document())
            return Self.json(String(decoding: data, as: UTF8.self))
        }
        router.get("/metrics") { _, _ -> Response in
            guard let prometheus = server.prometheus else {
                return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "metrics not configured\n")))
            }
            var bytes: [UInt8] = []
            prometheus.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
        addOutboundRoutes(to: router)
        router.post("/twiml/:botId") { request, context -> Response in
            let botID = context.parameters.get("botId") ?? ""
            var logger = context.logger
            logger[metadataKey: "bot_id"] = "\(botID)"
            let body = try await Self.collectBody(request, limit: 64 * 1024, timeout: server.configuration.security.headerTimeout)
            let form = TwilioSignatureValidator.formParameters(urlEncoded: String(buffer: body))
            let callSid = form["CallSid"]?.first
            if let callSid { logger[metadataKey: "call_sid"] = "\(callSid.prefix(64))" }
            guard server.catalog.configuration(for: botID) != nil else {
                logger.warning("TwiML webhook for an unknown bot")
                return Self.json(Self.object(["error": "unknown bot"]), status: .notFound)
            }
            let signature = server.authenticator.check(
                request: request, parameters: form, peerAddress: context.channel.remoteAddress?.ipAddress, webSocket: false)
            if case .refused(let reason, let url) = signature {
                logger.warning("rejected TwiML webhook", metadata: ["reason": "\(reason)", "url": "\(url ?? "-")"])
                return Self.json(Self.object(["error": "invalid signature"]), status: .forbidden)
            }
            var parameters: [TwiMLStreamResponse.Parameter] = []
            for name in ["From", "To"] {
                if let value = form[name]?.first { parameters.append(.init(name: name, value: value)) }
            }
            // A dialler that reserved a slot puts the reservation id on the webhook URL; the
            // stream carries it to `start`, where the worker confirms the reservation.
            if let reservation = request.uri.queryParameters.get(FleetMembership.reservationParameter), !reservation.isEmpty {
                parameters.append(.init(name: FleetMembership.reservationParameter, value: String(reservation)))
            }
            // Outbound calls: the lead (from the URL `/attach` placed) and who answered (sync
            // machine detection) reach `start` too, covered by the stream token.
            parameters += Self.outboundParameters(query: request.uri.queryParameters, form: form)
            if server.authenticator.isEnforced {
                // The stream token ties the stream's `start` to this signed webhook.
                let accountSid = form["AccountSid"]?.first
                guard let callSid, TwilioSID.isValid(callSid, kind: .call), let accountSid, TwilioSID.isValid(accountSid, kind: .account) else {
                    logger.warning("rejected TwiML webhook: CallSid or AccountSid missing or malformed")
                    return Self.json(Self.object(["error": "CallSid and AccountSid required"]), status: .badRequest)
                }
                let values = Dictionary(parameters.map { ($0.name, $0.value) }) { first, _ in first }
                if let token = server.authenticator.streamToken(callSid: callSid, accountSid: accountSid, botID: botID, parameters: values) {
                    parameters.append(.init(name: StreamToken.parameterName, value: token))
                }
            }
            let host = server.configuration.publicHost ?? request.head.authority ?? "localhost"
            let streamURL = TwiMLStreamResponse.streamURL(host: host, botId: botID)
            let xml = try TwiMLStreamResponse(streamURL: streamURL, parameters: parameters).xml()
            logger.info("answered voice webhook", metadata: ["stream_url": "\(streamURL)"])
            return Response(status: .ok, headers: [.contentType: "application/xml"], body: .init(byteBuffer: ByteBuffer(string: xml)))
        }
        // Plain GETs of /ws/{botId} (no upgrade) land here: report whether a call would be
        // accepted and, if not, why, with the matching status. Not counted as refused calls.
        router.get("/ws/:botId") { request, context -> Response in
            let botID = context.parameters.get("botId") ?? ""
            if let refusal = server.upgradeRefusal(
                request: request, botID: botID, peerAddress: context.channel.remoteAddress?.ipAddress, logger: context.logger, record: false) {
                return Self.json(Self.object(["error": refusal.message]), status: refusal.status)
            }
            return Self.json(Self.object(["error": "WebSocket upgrade required"]), status: .upgradeRequired)
        }
    }

    private func addWebSocketRoute(to router: Router<WorkerRequestContext>) {
        let server = self
        router.ws("/ws/:botId") { request, context in
            let botID = context.parameters.get("botId") ?? ""
            // Refused before the upgrade: logged and counted here, answered with the real status
            // by RefusedUpgradeStatusHandler (hummingbird-websocket itself would send a bare 400).
            if let refusal = server.upgradeRefusal(
                request: request, botID: botID, peerAddress: context.channel.remoteAddress?.ipAddress, logger: context.logger, record: true) {
                server.refuseUpgrade(refusal, channel: context.channel)
                return .dontUpgrade
            }
            let decision = server.registry.reserve()
            guard decision == .accept else {
                server.statistics.callRefused(reason: decision.reason)
                context.logger.warning("refused media stream", metadata: ["bot_id": "\(botID)", "reason": "\(decision.reason)"])
                server.refuseUpgrade(Refusal(status: .serviceUnavailable, message: decision.reason), channel: context.channel)
                return .dontUpgrade
            }
            // A client that aborts the handshake now gives the slot back at once.
            let registry = server.registry
            let connections = server.connections
            server.pendingUpgrades.add(context.channel) {
                registry.cancelReservation()
                connections.upgradeAborted()
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let botID = context.requestContext.parameters.get("botId") ?? ""
            guard server.pendingUpgrades.take(context.requestContext.channel),
                  let configuration = server.catalog.configuration(for: botID), let slot = server.registry.claim()
            else {
                server.statistics.callRefused(reason: "reservation_lost")
                try await outbound.close(.unknown(1013), reason: "worker unavailable")
                return
            }
            let handler = WorkerCallHandler(
                botID: botID,
                configuration: configuration,
                providers: server.providers,
                resultSink: server.resultSink,
                statistics: server.statistics,
                registry: server.registry,
                fleet: server.fleet,
                slot: slot,
                streamAdmission: server.streamAdmission,
                logger: server.logger,
                options: server.catalog.callOptions(for: botID),
                callControl: server.twilio.map(TwilioRESTCallControl.init),
                machineResults: server.machineResults
            )
            var logger = server.logger
            logger[metadataKey: "bot_id"] = "\(botID)"
            let adapter = TwilioMediaStreamAdapter(configuration: server.adapterConfiguration, logger: logger)
            let statistics = server.statistics
            let messages = WebSocketTextMessages(frames: inbound, maximumBytes: server.adapterConfiguration.session.maximumMessageBytes) {
                statistics.badMessage(kind: "binary_frame")
            }
            let outcome = await adapter.run(messages: messages, writer: WebSocketWireWriter(outbound: outbound), handler: handler)
            if outcome == .disconnected { statistics.wsDisconnect() }
            server.registry.release(slot)
        }
    }

    private struct Refusal {
        var status: HTTPResponse.Status
        var message: String
    }

    private func refuseUpgrade(_ refusal: Refusal, channel: any Channel) {
        refusedUpgrades.record(.init(status: refusal.status, body: Self.object(["error": refusal.message])), for: channel)
    }

    /// Checks bot, signature and capacity for a WebSocket upgrade. With `record` (a real upgrade
    /// attempt), refusals are logged and capacity refusals counted.
    private func upgradeRefusal(request: Request, botID: String, peerAddress: String?, logger: Logger, record: Bool) -> Refusal? {
        var logger = logger
        logger[metadataKey: "bot_id"] = "\(botID)"
        guard catalog.configuration(for: botID) != nil else {
            if record { logger.warning("refused media stream for an unknown bot") }
            return Refusal(status: .notFound, message: "unknown bot")
        }
        if case .refused(let reason, let url) = authenticator.check(request: request, parameters: [:], peerAddress: peerAddress, webSocket: true) {
            if record { logger.warning("refused media stream", metadata: ["reason": "\(reason)", "url": "\(url ?? "-")"]) }
            return Refusal(status: .forbidden, message: "invalid signature")
        }
        let decision = registry.admission()
        guard decision == .accept else {
            if record {
                statistics.callRefused(reason: decision.reason)
                logger.warning("refused media stream", metadata: ["reason": "\(decision.reason)", "active_calls": "\(registry.activeCount)"])
            }
            return Refusal(status: .serviceUnavailable, message: decision.reason)
        }
        return nil
    }

    // MARK: Helpers

    /// Collects a request body of at most `limit` bytes within `timeout` (a client trickling
    /// its body is answered 408 instead of holding the connection).
    static func collectBody(_ request: Request, limit: Int, timeout: Duration) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await request.body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                throw HTTPError(.requestTimeout, message: "request body not received in time")
            }
            return body
        }
    }

    static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func object(_ fields: [String: any Sendable]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
