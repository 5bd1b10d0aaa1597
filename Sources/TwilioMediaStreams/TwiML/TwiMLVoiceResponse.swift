import Foundation

/// A TwiML `<Response>` built from verbs, for call control over Twilio's REST API: connect a
/// media stream, say a line, transfer with `<Dial>` (a number or a SIP URI), hang up.
///
///     <?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say>
///     <Dial callerId="+15017122661"><Number>+15551230000</Number></Dial><Hangup /></Response>
///
/// Attributes are written in name order and every value is XML-escaped, like Twilio's helper
/// library (the same escaping as ``TwiMLStreamResponse``).
public struct TwiMLVoiceResponse: Sendable, Hashable {
    /// Where a `<Dial>` goes.
    public enum DialTarget: Sendable, Hashable {
        /// `<Number>`: an E.164 number.
        case number(String)
        /// `<Sip>`: a `sip:` or `sips:` URI.
        case sip(String)
    }

    /// `<Dial>` and its attributes.
    public struct Dial: Sendable, Hashable {
        /// The destination.
        public var target: DialTarget
        /// `callerId`: the number shown to the destination.
        public var callerID: String?
        /// `timeout`: seconds to ring the destination.
        public var timeoutSeconds: Int?
        /// `action`: requested when the dialled call ends.
        public var action: String?
        /// `answerOnBridge`.
        public var answerOnBridge: Bool?

        /// Creates a dial.
        public init(target: DialTarget, callerID: String? = nil, timeoutSeconds: Int? = nil, action: String? = nil, answerOnBridge: Bool? = nil) {
            self.target = target
            self.callerID = callerID
            self.timeoutSeconds = timeoutSeconds
            self.action = action
            self.answerOnBridge = answerOnBridge
        }
    }

    /// One verb.
    public enum Verb: Sendable, Hashable {
        /// `<Say voice language>text</Say>`.
        case say(String, voice: String? = nil, language: String? = nil)
        /// `<Pause length="n" />`.
        case pause(seconds: Int)
        /// `<Dial>`.
        case dial(Dial)
        /// `<Connect><Stream>` (checked like ``TwiMLStreamResponse``; its `sayBeforeConnect` is ignored).
        case connectStream(TwiMLStreamResponse)
        /// `<Hangup />`.
        case hangUp
    }

    /// The verbs, in order.
    public var verbs: [Verb]

    /// Creates a response.
    public init(_ verbs: [Verb]) {
        self.verbs = verbs
    }

    /// A transfer: optional line, then `<Dial>`, then `<Hangup />` so the caller is not left
    /// in silence when the destination does not answer.
    public static func transfer(_ dial: Dial, say line: String? = nil) -> TwiMLVoiceResponse {
        var verbs: [Verb] = []
        if let line, !line.isEmpty { verbs.append(.say(line)) }
        verbs.append(.dial(dial))
        verbs.append(.hangUp)
        return TwiMLVoiceResponse(verbs)
    }

    /// An outbound call's answer: `<Connect><Stream url>` with `parameters` (for example the
    /// reservation id and the lead id), then `<Hangup />`, so the call ends when the worker
    /// closes the stream instead of running on.
    public static func mediaStream(url: String, parameters: [TwiMLStreamResponse.Parameter]) -> TwiMLVoiceResponse {
        TwiMLVoiceResponse([.connectStream(TwiMLStreamResponse(streamURL: url, parameters: parameters)), .hangUp])
    }

    /// A voicemail drop or a polite end: optional line, then `<Hangup />`.
    public static func hangUp(say line: String? = nil) -> TwiMLVoiceResponse {
        var verbs: [Verb] = []
        if let line, !line.isEmpty { verbs.append(.say(line)) }
        verbs.append(.hangUp)
        return TwiMLVoiceResponse(verbs)
    }

    /// The XML document.
    /// - Throws: ``TwiMLError`` for a stream that breaks Twilio's rules, an empty dial
    ///   destination, or a SIP target that is not a `sip:`/`sips:` URI.
    public func xml() throws(TwiMLError) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><Response>"#
        for verb in verbs {
            switch verb {
            case .say(let text, let voice, let language):
                var attributes: [(String, String)] = []
                if let language { attributes.append(("language", language)) }
                if let voice { attributes.append(("voice", voice)) }
                xml += "<Say" + Self.attributes(attributes) + ">" + TwiMLStreamResponse.escapeText(text) + "</Say>"
            case .pause(let seconds):
                xml += "<Pause length=\"\(max(1, seconds))\" />"
            case .dial(let dial):
                xml += try Self.dialElement(dial)
            case .connectStream(let stream):
                xml += try stream.connectElement()
            case .hangUp:
                xml += "<Hangup />"
            }
        }
        return xml + "</Response>"
    }

    private static func dialElement(_ dial: Dial) throws(TwiMLError) -> String {
        var attributes: [(String, String)] = []
        if let action = dial.action { attributes.append(("action", action)) }
        if let answerOnBridge = dial.answerOnBridge { attributes.append(("answerOnBridge", answerOnBridge ? "true" : "false")) }
        if let callerID = dial.callerID { attributes.append(("callerId", callerID)) }
        if let timeout = dial.timeoutSeconds { attributes.append(("timeout", "\(min(max(timeout, 5), 600))")) }
        let inner: String
        switch dial.target {
        case .number(let number):
            let trimmed = number.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw .emptyDialTarget }
            inner = "<Number>" + TwiMLStreamResponse.escapeText(trimmed) + "</Number>"
        case .sip(let uri):
            let lower = uri.lowercased()
            guard lower.hasPrefix("sip:") || lower.hasPrefix("sips:"), uri.count > 4 else { throw .invalidSIPURI }
            inner = "<Sip>" + TwiMLStreamResponse.escapeText(uri) + "</Sip>"
        }
        return "<Dial" + Self.attributes(attributes) + ">" + inner + "</Dial>"
    }

    private static func attributes(_ pairs: [(String, String)]) -> String {
        pairs.sorted { $0.0 < $1.0 }.map { " \($0.0)=\"\(TwiMLStreamResponse.escapeAttribute($0.1))\"" }.joined()
    }
}
