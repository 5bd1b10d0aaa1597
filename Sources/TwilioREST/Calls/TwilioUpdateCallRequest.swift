/// `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`: change a live call.
public enum TwilioUpdateCallRequest: Sendable, Hashable {
    /// `Twiml=…`: run this TwiML now (a `<Dial>` transfers; the media stream ends).
    case twiml(String)
    /// `Url=…&Method=…`: fetch TwiML from a URL and run it.
    case url(String, method: String = "POST")
    /// `Status=completed`: hang up a live call.
    case hangUp
    /// `Status=canceled`: cancel a call that is still queued or ringing.
    case cancel

    /// Checks what Twilio would refuse before anything is sent.
    /// - Throws: ``TwilioRESTError/invalidRequest(_:)``.
    public func validate() throws(TwilioRESTError) {
        switch self {
        case .twiml(let twiml):
            guard !twiml.isEmpty, twiml.count <= TwilioCreateCallRequest.maximumTwiMLLength else {
                throw .invalidRequest("Twiml must be 1-\(TwilioCreateCallRequest.maximumTwiMLLength) characters")
            }
        case .url(let url, let method):
            guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") else { throw .invalidRequest("Url must be http(s)") }
            guard method == "GET" || method == "POST" else { throw .invalidRequest("Method must be GET or POST") }
        case .hangUp, .cancel:
            break
        }
    }

    /// The form fields.
    public var formFields: [(name: String, value: String)] {
        switch self {
        case .twiml(let twiml): [("Twiml", twiml)]
        case .url(let url, let method): [("Url", url), ("Method", method)]
        case .hangUp: [("Status", "completed")]
        case .cancel: [("Status", "canceled")]
        }
    }
}
