/// The TwiML that answers a voice webhook by connecting the call to a bidirectional Media
/// Stream:
///
///     <?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://host/ws/bot">
///     <Parameter name="callToken" value="abc123" /></Stream></Connect></Response>
///
/// Attributes are written in name order and escaped, matching Twilio's helper library
/// byte for byte.
public struct TwiMLStreamResponse: Sendable, Hashable {
    /// One `<Parameter>`; arrives in `start.customParameters`.
    public struct Parameter: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value.
        public var value: String

        /// Creates a parameter.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The `wss://` URL of the stream endpoint (no query string).
    public var streamURL: String
    /// `<Parameter>` children, in order.
    public var parameters: [Parameter]
    /// Optional `name` attribute of `<Stream>`.
    public var streamName: String?
    /// Optional `statusCallback` URL.
    public var statusCallback: String?
    /// Optional `statusCallbackMethod` (`GET` or `POST`).
    public var statusCallbackMethod: String?
    /// Optional text spoken with `<Say>` before connecting.
    public var sayBeforeConnect: String?

    /// Creates a response description.
    public init(
        streamURL: String,
        parameters: [Parameter] = [],
        streamName: String? = nil,
        statusCallback: String? = nil,
        statusCallbackMethod: String? = nil,
        sayBeforeConnect: String? = nil
    ) {
        self.streamURL = streamURL
        self.parameters = parameters
        self.streamName = streamName
        self.statusCallback = statusCallback
        self.statusCallbackMethod = statusCallbackMethod
        self.sayBeforeConnect = sayBeforeConnect
    }

    /// The stream URL for a bot: `wss://{host}/ws/{botId}` (`ws://` when `secure` is false),
    /// with `botId` percent-encoded as one path segment.
    public static func streamURL(host: String, botId: String, secure: Bool = true) -> String {
        "\(secure ? "wss" : "ws")://\(host)/ws/\(percentEncodePathSegment(botId))"
    }

    /// The XML document.
    /// - Throws: ``TwiMLError`` when the URL or a parameter breaks Twilio's rules.
    public func xml() throws(TwiMLError) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?><Response>"#
        if let sayBeforeConnect { xml += "<Say>\(Self.escapeText(sayBeforeConnect))</Say>" }
        xml += try connectElement()
        return xml + "</Response>"
    }

    /// `<Connect><Stream …>…</Stream></Connect>`, checked (shared with ``TwiMLVoiceResponse``).
    func connectElement() throws(TwiMLError) -> String {
        let lower = streamURL.lowercased()
        guard lower.hasPrefix("wss://") || lower.hasPrefix("ws://") else {
            throw .unsupportedStreamScheme(String(streamURL.prefix(16)))
        }
        guard !streamURL.contains("?") else { throw .streamURLHasQuery }
        for p in parameters {
            guard !p.name.isEmpty else { throw .emptyParameterName }
            let length = p.name.count + p.value.count
            guard length < 500 else { throw .parameterTooLong(name: p.name, length: length) }
        }
        var attributes: [(String, String)] = [("url", streamURL)]
        if let streamName { attributes.append(("name", streamName)) }
        if let statusCallback { attributes.append(("statusCallback", statusCallback)) }
        if let statusCallbackMethod { attributes.append(("statusCallbackMethod", statusCallbackMethod)) }
        attributes.sort { $0.0 < $1.0 }

        var xml = "<Connect><Stream"
        for (name, value) in attributes { xml += " \(name)=\"\(Self.escapeAttribute(value))\"" }
        if parameters.isEmpty { return xml + " /></Connect>" }
        xml += ">"
        for p in parameters {
            xml += "<Parameter name=\"\(Self.escapeAttribute(p.name))\" value=\"\(Self.escapeAttribute(p.value))\" />"
        }
        return xml + "</Stream></Connect>"
    }

    /// Escapes text content: `&`, `<`, `>`.
    static func escapeText(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Escapes an attribute value: `&`, `<`, `>`, `"`, and tab/newline/return as character references.
    static func escapeAttribute(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func percentEncodePathSegment(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (byte < 16 ? "0" + hex : hex)
            }
        }
        return out
    }
}
