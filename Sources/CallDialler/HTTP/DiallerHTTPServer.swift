import CallEngine
import CallResults
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import TwilioMediaStreams

/// The dialler's HTTP side (Hummingbird 2):
///
/// | route | what |
/// |---|---|
/// | `GET /health` | liveness |
/// | `GET /health/ready` | 200 while placing calls, 503 while draining |
/// | `GET /metrics` | Prometheus text |
/// | `POST /twilio/status?reservation_id=…` | Twilio status callbacks, `X-Twilio-Signature` verified against ``DiallerConfiguration/publicURL``; unsigned or forged: 403 |
/// | `POST /results` | the workers' post-call results, `X-Call-Signature` verified with ``ResultSignature/verify(header:body:secret:tolerance:now:)``; unsigned or forged: 401 |
///
/// A database failure answers 503 so the sender retries; duplicates answer 200 and change nothing.
public struct DiallerHTTPServer: Sendable {
    /// The dialler the events go to.
    public let dialler: Dialler
    /// The public base URL status callbacks are signed for.
    public let publicURL: String
    /// Verifies `X-Twilio-Signature` with the auth token of the callback's account.
    public let callbackSignatures: StatusCallbackSignatures
    /// The shared secret of the workers' result webhook (`RESULT_WEBHOOK_SECRET`).
    public let resultSecret: String
    /// Rendered at `/metrics`.
    public let prometheus: PrometheusCollectorRegistry?
    /// Logger.
    public let logger: Logger

    /// Creates the server description for one account's auth token.
    public init(
        dialler: Dialler, publicURL: String, twilioAuthToken: String, resultSecret: String,
        prometheus: PrometheusCollectorRegistry?, logger: Logger
    ) {
        self.init(dialler: dialler, publicURL: publicURL, callbackSignatures: StatusCallbackSignatures(authToken: twilioAuthToken),
                  resultSecret: resultSecret, prometheus: prometheus, logger: logger)
    }

    /// Creates the server description; `callbackSignatures` says which token verifies which
    /// account's callbacks.
    public init(
        dialler: Dialler, publicURL: String, callbackSignatures: StatusCallbackSignatures, resultSecret: String,
        prometheus: PrometheusCollectorRegistry?, logger: Logger
    ) {
        self.dialler = dialler
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.callbackSignatures = callbackSignatures
        self.resultSecret = resultSecret
        self.prometheus = prometheus
        self.logger = logger
    }

    /// The Hummingbird application (a `Service`), listening on `host:port` (port 0: any free port,
    /// reported to `onServerRunning`).
    public func makeApplication(
        host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "call-dialler"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        let server = self
        router.get("/health") { _, _ in Self.text("ok\n") }
        router.get("/health/ready") { _, _ in
            await server.dialler.isDraining ? Self.text("draining\n", status: .serviceUnavailable) : Self.text("ready\n")
        }
        router.get("/metrics") { _, _ -> Response in
            guard let prometheus = server.prometheus else { return Self.text("metrics not configured\n", status: .notFound) }
            var bytes: [UInt8] = []
            prometheus.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.post("/twilio/status") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            return await server.status(uri: request.uri.description, signature: request.headers[Self.twilioSignature], body: String(buffer: body))
        }
        router.post("/results") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 4 << 20)
            return await server.result(signature: request.headers[Self.callSignature], body: Array(buffer: body))
        }
    }

    static let twilioSignature = HTTPField.Name("X-Twilio-Signature")!
    static let callSignature = HTTPField.Name(ResultSignature.headerName)!

    /// Handles one status callback (the request target as received, e.g. `/twilio/status?reservation_id=…`).
    public func status(uri: String, signature: String?, body: String) async -> Response {
        let form = TwilioSignatureValidator.formParameters(urlEncoded: body)
        var logger = self.logger
        if let sid = form["CallSid"]?.first { logger[metadataKey: "call_sid"] = "\(sid.prefix(64))" }
        do {
            try callbackSignatures.validate(signature: signature, url: publicURL + uri, form: form)
        } catch {
            logger.warning("status callback refused: bad signature", metadata: ["reason": "\(error)"])
            return Self.text("forbidden\n", status: .forbidden)
        }
        guard let raw = URLComponents(string: uri)?.queryItems?.first(where: { $0.name == "reservation_id" })?.value,
              let id = UUID(uuidString: raw),
              let callback = StatusCallback(reservationID: id, form: form) else {
            logger.warning("status callback without reservation id or CallStatus")
            return Self.text("bad request\n", status: .badRequest)
        }
        return Self.answer(await dialler.handleStatus(callback))
    }

    /// Handles one result webhook body.
    public func result(signature: String?, body: [UInt8]) async -> Response {
        do {
            try ResultSignature.verify(header: signature, body: body, secret: resultSecret)
        } catch {
            logger.warning("result webhook refused: bad signature", metadata: ["reason": "\(error)"])
            return Self.text("unauthorized\n", status: .unauthorized)
        }
        guard let result = try? CallResult.decode(Data(body)) else {
            logger.warning("result webhook body is not a call result")
            return Self.text("bad request\n", status: .badRequest)
        }
        return Self.answer(await dialler.handleResult(result))
    }

    static func answer(_ handling: EventHandling) -> Response {
        switch handling {
        case .applied: text("applied\n")
        case .ignored: text("ignored\n")
        // A signed event for no attempt of ours: accepted so it is not sent again.
        case .unknownAttempt: text("unknown attempt\n")
        case .failed: text("try again\n", status: .serviceUnavailable)
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
