/// Control of a live Twilio call outside its media stream (Twilio's REST API), injected so
/// this module needs no HTTP client. The worker implements it with `TwilioRESTClient`.
public protocol TwilioCallControl: Sendable {
    /// Runs `twiml` on the live call now (a `<Dial>` transfers it; its media stream ends).
    func redirect(callSid: String, twiml: String) async throws
    /// Hangs the live call up.
    func hangUp(callSid: String) async throws
}

/// How a ``TwilioCallTransport`` carries out the engine's `transfer_call`: the call, the
/// control that redirects it, and the bot's rule from the model's requested target to an
/// allowed destination and its TwiML.
public struct TwilioTransferPlan: Sendable {
    /// Where a transfer goes and the TwiML that takes it there.
    public struct Route: Sendable, Hashable {
        /// The destination as recorded in the result (`+15551230000`, `sip:agent@…`).
        public var destination: String
        /// The TwiML document the call is redirected to (a `<Dial>`).
        public var twiml: String

        /// Creates a route.
        public init(destination: String, twiml: String) {
            self.destination = destination
            self.twiml = twiml
        }
    }

    /// The call (`start.callSid`).
    public var callSid: String
    /// The REST side.
    public var control: any TwilioCallControl
    /// The route for the model's requested target, or nil when the bot allows none (the call
    /// is then hung up, never dialled to a number the model made up).
    public var route: @Sendable (_ requestedTarget: String) -> Route?

    /// Creates a plan.
    public init(callSid: String, control: any TwilioCallControl, route: @escaping @Sendable (_ requestedTarget: String) -> Route?) {
        self.callSid = callSid
        self.control = control
        self.route = route
    }
}

/// What became of a transfer.
public enum TwilioTransferOutcome: Sendable, Hashable {
    /// The call was redirected to `destination` (the media stream then ends).
    case transferred(destination: String)
    /// The transfer failed; the call was hung up. `destination` is nil when no route matched.
    case failed(destination: String?, error: TwilioTransferError)

    /// The destination, when one was chosen.
    public var destination: String? {
        switch self {
        case .transferred(let destination): destination
        case .failed(let destination, _): destination
        }
    }
}

/// Why a transfer failed.
public enum TwilioTransferError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No call control is configured (no Twilio REST credentials).
    case notConfigured
    /// The bot has no destination for the requested target.
    case noRoute(requestedTarget: String)
    /// The redirect request failed.
    case redirectFailed(String)
    /// The media stream closed before the redirect was sent.
    case streamClosed

    public var description: String {
        switch self {
        case .notConfigured: "no Twilio call control configured (TWILIO_ACCOUNT_SID and credentials)"
        case .noRoute(let target): "the bot has no transfer destination for \"\(target.prefix(64))\""
        case .redirectFailed(let reason): "redirect failed: \(reason)"
        case .streamClosed: "the media stream closed before the redirect"
        }
    }
}
