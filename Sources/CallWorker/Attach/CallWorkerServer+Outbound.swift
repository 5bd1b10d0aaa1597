import CallCapacity
import CallResults
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import TwilioMediaStreams
import TwilioREST

extension CallWorkerServer {
    /// `X-Attach-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>` (the scheme of
    /// ``ResultSignature``, keyed with `ATTACH_SECRET`).
    public static let attachSignatureHeader = "X-Attach-Signature"
    static let attachSignatureField = HTTPField.Name("X-Attach-Signature") ?? .authorization

    /// `POST /attach` (place a reserved call) and `POST /twilio/status` (signed status callbacks
    /// of the calls it placed).
    func addOutboundRoutes(to router: Router<WorkerRequestContext>) {
        let server = self
        router.post("/attach") { request, context -> Response in
            let body = try await Self.collectBody(request, limit: 16 * 1024, timeout: server.configuration.security.headerTimeout)
            var logger = context.logger
            do throws(AttachError) {
                let (sid, replayed) = try await server.attach(
                    body: Data(body.readableBytesView), signature: request.headers[Self.attachSignatureField], logger: &logger)
                return Self.json(Self.object(["call_sid": sid, "replayed": replayed]), status: replayed ? .ok : .created)
            } catch {
                logger.warning("refused attach", metadata: ["error": "\(error)"])
                return Self.attachResponse(error)
            }
        }
        router.post("/twilio/status") { request, context -> Response in
            let body = String(buffer: try await Self.collectBody(request, limit: 64 * 1024, timeout: server.configuration.security.headerTimeout))
            var logger = context.logger
            let event: TwilioCallStatusEvent
            do throws(TwilioCallbackError) {
                if server.authenticator.isEnforced {
                    guard let token = server.configuration.twilioAuthToken, let host = server.configuration.publicHost else { throw .unsigned }
                    event = try TwilioCallbackVerifier(authToken: token).event(
                        url: "https://\(host)\(request.uri.description)", signature: request.headers[RequestAuthenticator.signatureHeader], body: body)
                } else {
                    event = try TwilioCallStatusEvent(form: TwilioSignatureValidator.formParameters(urlEncoded: body))
                }
            } catch {
                logger.warning("refused Twilio status callback", metadata: ["error": "\(error)"])
                let forbidden = error == .unsigned || error == .forged
                return Self.json(Self.object(["error": "\(error)"]), status: forbidden ? .forbidden : .badRequest)
            }
            logger[metadataKey: "call_sid"] = "\(event.callSID)"
            if event.isMachineDetectionResult, let answeredBy = event.answeredBy,
               let call = server.machineResults.received(event.callSID, answeredBy: answeredBy) {
                await call.machineDetected(answeredBy)
            }
            logger.info("twilio call status", metadata: [
                "status": "\(event.callStatus?.rawValue ?? "-")", "answered_by": "\(event.answeredBy?.rawValue ?? "-")",
                "sequence": "\(event.sequenceNumber.map(String.init) ?? "-")",
            ])
            return Response(status: .noContent)
        }
    }

    /// Verifies, checks and places (or replays) one attach. Returns the call SID and whether it
    /// was an earlier request's call.
    func attach(body: Data, signature: String?, logger: inout Logger) async throws(AttachError) -> (String, Bool) {
        guard let secret = configuration.attachSecret else { throw .disabled }
        do throws(ResultSignatureError) {
            try ResultSignature.verify(header: signature, body: body, secret: secret)
        } catch {
            throw .unauthorized(error == .missingHeader ? "missing \(Self.attachSignatureHeader)" : "\(error)")
        }
        let request = try AttachRequest.parse(body)
        logger[metadataKey: "reservation_id"] = "\(request.reservationID)"
        logger[metadataKey: "bot_id"] = "\(request.bot)"
        guard catalog.configuration(for: request.bot) != nil else { throw .unknownBot }
        guard let twilio, let host = configuration.publicHost else { throw .unavailable("TWILIO_ACCOUNT_SID or PUBLIC_HOST not configured") }
        guard let from = request.from ?? configuration.twilio?.fromNumber else { throw .badRequest("from is required (no TWILIO_FROM_NUMBER)") }

        switch await attachments.begin(request) {
        case .placed(let sid): return (sid, true)
        case .conflict: throw .conflict
        case .failed(let error): throw error
        case .place: break
        }
        // Across workers and restarts: the fleet registry's claim (when it keeps them).
        let claims: (any AttachClaimRegistry)?
        do throws(AttachError) {
            switch try await claimDurably(request, logger: logger) {
            case .place(let durable): claims = durable
            case .replay(let sid):
                attachments.finish(request.reservationID, result: .success(sid))
                return (sid, true)
            }
        } catch {
            attachments.finish(request.reservationID, result: .failure(error))
            throw error
        }
        switch registry.admission() {
        case .accept: break
        case let other:
            await abandonDurably(claims, request, after: nil, logger: logger)
            attachments.finish(request.reservationID, result: .failure(.unavailable(other.reason)))
            throw .unavailable(other.reason)
        }
        let create = Self.createRequest(for: request, from: from, host: host, machineDetection: catalog.callOptions(for: request.bot).wantsMachineDetection)
        do throws(TwilioRESTError) {
            let call = try await twilio.createCall(create)
            logger[metadataKey: "call_sid"] = "\(call.sid)"
            logger.info("attach placed the call", metadata: ["to": "\(request.to)"])
            await recordDurably(claims, request, callSID: call.sid, logger: logger)
            attachments.finish(request.reservationID, result: .success(call.sid))
            return (call.sid, false)
        } catch {
            await abandonDurably(claims, request, after: error, logger: logger)
            let failure = AttachError.twilio(code: error.twilioCode, status: error.httpStatus, message: "\(error)")
            attachments.finish(request.reservationID, result: .failure(failure))
            throw failure
        }
    }

    /// The create request for an attach: TwiML from this worker's signed `/twiml/{bot}` (which
    /// issues the stream token and passes the reservation and lead on to the stream), status
    /// callbacks to `/twilio/status`, synchronous machine detection when the bot has voicemail
    /// settings (so `AnsweredBy` reaches the TwiML webhook and the stream).
    static func createRequest(for attach: AttachRequest, from: String, host: String, machineDetection: Bool) -> TwilioCreateCallRequest {
        var query = "\(FleetMembership.reservationParameter)=\(attach.reservationID.uuidString.lowercased())"
        if let lead = attach.leadID { query += "&lead_id=" + TwilioFormEncoder.escape(lead) }
        return TwilioCreateCallRequest(
            to: attach.to, from: from,
            instructions: .url("https://\(host)/twiml/\(TwilioFormEncoder.escape(attach.bot))?\(query)"),
            statusCallback: "https://\(host)/twilio/status?\(query)",
            statusCallbackEvents: [.initiated, .ringing, .answered, .completed],
            timeoutSeconds: 30,
            machineDetection: machineDetection ? .detectMessageEnd : nil)
    }

    /// The stream parameters an outbound call adds: `lead_id` from the TwiML URL, `AnsweredBy`
    /// from the webhook form (synchronous machine detection).
    static func outboundParameters(query: FlatDictionary<Substring, Substring>, form: [String: [String]]) -> [TwiMLStreamResponse.Parameter] {
        var parameters: [TwiMLStreamResponse.Parameter] = []
        if let lead = query.get("lead_id"), !lead.isEmpty, lead.count <= 128 { parameters.append(.init(name: "lead_id", value: String(lead))) }
        if let answeredBy = TwilioAnsweredBy(twilioValue: form["AnsweredBy"]?.first) {
            parameters.append(.init(name: "AnsweredBy", value: answeredBy.rawValue))
        }
        return parameters
    }

    static func attachResponse(_ error: AttachError) -> Response {
        switch error {
        case .badRequest(let reason): json(object(["error": reason]), status: .badRequest)
        case .unauthorized(let reason): json(object(["error": "unauthorized: \(reason)"]), status: .unauthorized)
        case .disabled: json(object(["error": "attach disabled: ATTACH_SECRET not set"]), status: .forbidden)
        case .unknownBot: json(object(["error": "unknown bot"]), status: .notFound)
        case .conflict: json(object(["error": "reservation_id already used for another call"]), status: .conflict)
        case .unavailable(let reason): json(object(["error": reason]), status: .serviceUnavailable)
        case .twilio(let code, let status, let message):
            json(twilioErrorObject(code: code, status: status, message: message), status: .badGateway)
        }
    }

    private static func twilioErrorObject(code: Int?, status: Int?, message: String) -> String {
        var fields: [String: any Sendable] = ["error": message]
        if let code { fields["twilio_code"] = code }
        if let status { fields["twilio_status"] = status }
        return object(fields)
    }
}
