import Foundation

/// The TwiML verbs the ``TwilioFake`` runs, parsed from a `<Response>` document.
public enum FakeTwiMLVerb: Sendable, Hashable {
    /// `<Say>`: the text.
    case say(String)
    /// `<Pause length>`.
    case pause(seconds: Int)
    /// `<Dial>` to a `<Number>` (or bare text) or a `<Sip>` URI.
    case dial(target: String, sip: Bool, callerID: String?)
    /// `<Connect><Stream url>` with its `<Parameter>` pairs.
    case stream(url: String, parameters: [String: String])
    /// `<Hangup/>`.
    case hangUp

    /// Parses a TwiML document (tolerant: unknown verbs are skipped).
    /// - Throws: ``FakeTwiMLError`` when it is not a `<Response>` document.
    public static func parse(_ xml: String) throws(FakeTwiMLError) -> [FakeTwiMLVerb] {
        let tokens = tokenize(xml)
        guard tokens.contains(where: { if case .open("Response", _, _) = $0 { true } else { false } }) else { throw .notAResponse }
        var verbs: [FakeTwiMLVerb] = []
        var stack: [String] = []
        var text = ""
        var dialCallerID: String?
        var dialTarget: (String, Bool)?
        var streamURL: String?
        var parameters: [String: String] = [:]
        for token in tokens {
            switch token {
            case .text(let value):
                text += value
            case .open(let name, let attributes, let selfClosing):
                switch name {
                case "Dial":
                    dialCallerID = attributes["callerId"]
                    dialTarget = nil
                    text = ""
                case "Number", "Sip", "Say":
                    text = ""
                case "Stream":
                    streamURL = attributes["url"]
                    parameters = [:]
                case "Parameter":
                    if let key = attributes["name"] { parameters[key] = attributes["value"] ?? "" }
                case "Pause":
                    verbs.append(.pause(seconds: Int(attributes["length"] ?? "1") ?? 1))
                case "Hangup":
                    verbs.append(.hangUp)
                default:
                    break
                }
                if selfClosing {
                    if name == "Stream", let url = streamURL { verbs.append(.stream(url: url, parameters: parameters)) }
                } else {
                    stack.append(name)
                }
            case .close(let name):
                if let index = stack.lastIndex(of: name) { stack.removeSubrange(index...) }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                switch name {
                case "Say": verbs.append(.say(trimmed))
                case "Number": dialTarget = (trimmed, false)
                case "Sip": dialTarget = (trimmed, true)
                case "Dial":
                    let target = dialTarget ?? (trimmed, false)
                    verbs.append(.dial(target: target.0, sip: target.1, callerID: dialCallerID))
                case "Stream":
                    if let url = streamURL { verbs.append(.stream(url: url, parameters: parameters)) }
                default: break
                }
                text = ""
            }
        }
        return verbs
    }

    private enum Token {
        case open(String, [String: String], selfClosing: Bool)
        case close(String)
        case text(String)
    }

    private static func tokenize(_ xml: String) -> [Token] {
        var tokens: [Token] = []
        var rest = Substring(xml)
        while !rest.isEmpty {
            guard let lt = rest.firstIndex(of: "<") else {
                tokens.append(.text(unescape(rest)))
                break
            }
            if lt > rest.startIndex { tokens.append(.text(unescape(rest[rest.startIndex..<lt]))) }
            guard let gt = rest[lt...].firstIndex(of: ">") else { break }
            var inner = rest[rest.index(after: lt)..<gt]
            rest = rest[rest.index(after: gt)...]
            if inner.hasPrefix("?") || inner.hasPrefix("!") { continue }
            if inner.hasPrefix("/") {
                tokens.append(.close(String(inner.dropFirst()).trimmingCharacters(in: .whitespaces)))
                continue
            }
            var selfClosing = false
            if inner.hasSuffix("/") {
                selfClosing = true
                inner = inner.dropLast()
            }
            let name = String(inner.prefix { !$0.isWhitespace })
            tokens.append(.open(name, attributes(inner.dropFirst(name.count)), selfClosing: selfClosing))
        }
        return tokens
    }

    private static func attributes(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var rest = text
        while let eq = rest.firstIndex(of: "=") {
            let name = rest[rest.startIndex..<eq].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: eq)...].drop { $0.isWhitespace }
            guard let quote = rest.first, quote == "\"" || quote == "'" else { break }
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: quote) else { break }
            result[name] = unescape(rest[rest.startIndex..<end])
            rest = rest[rest.index(after: end)...]
        }
        return result
    }

    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[rest.startIndex..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()), let scalar = Unicode.Scalar(code) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "&" + entity + ";"
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}

/// Why the fake could not run a TwiML document.
public enum FakeTwiMLError: Error, Sendable, Hashable {
    /// The document has no `<Response>` element.
    case notAResponse
}
