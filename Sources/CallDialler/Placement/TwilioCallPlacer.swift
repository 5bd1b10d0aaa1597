import Foundation
import TwilioREST

/// Places the dialler's calls through Twilio's REST API (`POST …/Calls.json`).
///
/// The call's instructions are the reserved worker's TwiML URL, derived from the stream URL:
/// `wss://<host>/ws/{bot}` becomes `https://<host>/twiml/{bot}?reservation_id=…&lead_id=…`.
/// Twilio fetches it (signed) once the callee answers and the worker answers with a
/// `<Connect><Stream>` whose stream token names this call's SID, so the stream is admitted with
/// signatures on (inline TwiML could not carry a token: the SID does not exist before the call).
public struct TwilioCallPlacer: OutboundCallPlacer {
    /// The REST client (credentials of the account calls are placed with).
    public let client: TwilioRESTClient
    /// Status callback events requested for every call.
    public var statusEvents: [TwilioCreateCallRequest.StatusEvent]

    /// Creates a placer.
    public init(client: TwilioRESTClient, statusEvents: [TwilioCreateCallRequest.StatusEvent] = [.initiated, .ringing, .answered, .completed]) {
        self.client = client
        self.statusEvents = statusEvents
    }

    public func placeCall(_ request: OutboundCallRequest) async throws(CallPlacementError) -> PlacedCall {
        guard let url = Self.twimlURL(streamURL: request.streamURL, parameters: request.streamParameters) else {
            throw .transient(message: "the reserved worker's stream URL \(request.streamURL) is not ws(s)://host/ws/{bot}")
        }
        let create = TwilioCreateCallRequest(
            to: request.to,
            from: request.from,
            instructions: .url(url),
            statusCallback: request.statusCallbackURL,
            statusCallbackEvents: statusEvents,
            statusCallbackMethod: "POST",
            timeoutSeconds: max(5, min(600, Int(request.ringTimeout.components.seconds))),
            machineDetection: request.machineDetection ? .enable : nil
        )
        do {
            return PlacedCall(callSID: try await client.createCall(create).sid)
        } catch {
            throw Self.placementError(error)
        }
    }

    /// What the dialler does with each Twilio failure.
    public static func placementError(_ error: TwilioRESTError) -> CallPlacementError {
        switch error {
        case .rateLimited(_, let retryAfter): .rateLimited(retryAfter: retryAfter)
        case .invalidNumber(let twilio): .invalidNumber(code: twilio.code ?? 21211, message: twilio.message)
        case .authenticationFailed(let twilio): .authentication(message: twilio.message)
        default: .transient(message: error.description)
        }
    }

    /// `ws(s)://host[:port]/ws/{bot}` -> `http(s)://host[:port]/twiml/{bot}?<parameters>`; nil
    /// for any other shape.
    public static func twimlURL(streamURL: String, parameters: [String: String]) -> String? {
        guard var components = URLComponents(string: streamURL), let scheme = components.scheme?.lowercased(),
              scheme == "ws" || scheme == "wss", components.host?.isEmpty == false else { return nil }
        let path = components.path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.count == 2, path[0] == "ws", !path[1].isEmpty else { return nil }
        components.scheme = scheme == "wss" ? "https" : "http"
        components.path = "/twiml/\(path[1])"
        components.queryItems = parameters.isEmpty ? nil : parameters.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return components.string
    }
}
