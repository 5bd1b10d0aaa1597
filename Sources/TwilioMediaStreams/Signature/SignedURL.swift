/// The two spellings of a URL that Twilio's helper libraries accept a signature for: with
/// the port removed, and with the scheme's default port added (the "sig generation on back
/// end is inconsistent" quirk). Everything else (user info, path, query, escapes) is kept
/// byte for byte.
struct SignedURL {
    private let scheme: String
    private let prefix: Substring      // "scheme://"
    private let userInfo: Substring?   // without "@"
    private let host: Substring
    private let port: Substring?
    private let rest: Substring        // path, query, fragment

    /// Splits `url`; nil when it has no `scheme://authority`.
    init?(_ url: String) {
        guard let sep = url.range(of: "://") else { return nil }
        scheme = url[..<sep.lowerBound].lowercased()
        prefix = url[..<sep.upperBound]
        let afterScheme = url[sep.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        rest = afterScheme[authorityEnd...]
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        } else {
            userInfo = nil
        }
        // IPv6 literal: "[::1]:8080".
        let searchStart = hostPort.hasPrefix("[") ? (hostPort.firstIndex(of: "]") ?? hostPort.startIndex) : hostPort.startIndex
        if let colon = hostPort[searchStart...].lastIndex(of: ":") {
            host = hostPort[..<colon]
            let p = hostPort[hostPort.index(after: colon)...]
            port = p.isEmpty ? nil : p
        } else {
            host = hostPort
            port = nil
        }
    }

    private func build(port: Substring?) -> String {
        var s = String(prefix)
        if let userInfo { s += userInfo + "@" }
        s += host
        if let port { s += ":" + port }
        s += rest
        return s
    }

    /// The URL with any port removed.
    var withoutPort: String { build(port: nil) }

    /// The URL with the scheme's default port added when it has none (443 for https/wss,
    /// 80 for http/ws); an explicit port is kept.
    var withPort: String {
        if port != nil { return build(port: port) }
        switch scheme {
        case "https", "wss": return build(port: "443")
        case "http", "ws": return build(port: "80")
        default: return build(port: nil)
        }
    }

    /// The value of query parameter `name` (not percent-decoded), if present.
    static func queryValue(_ name: String, in url: String) -> Substring? {
        guard let q = url.firstIndex(of: "?") else { return nil }
        let end = url[q...].firstIndex(of: "#") ?? url.endIndex
        for pair in url[url.index(after: q)..<end].split(separator: "&") {
            if let eq = pair.firstIndex(of: "="), pair[..<eq] == name[...] {
                return pair[pair.index(after: eq)...]
            }
        }
        return nil
    }
}
