/// A validating scanner for the one JSON shape that arrives 50 times a second:
///
///     {"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2",
///      "timestamp":"5","payload":"…"},"streamSid":"MZ…"}
///
/// Keys may come in any order with any JSON whitespace between tokens. The scanner only
/// says "yes, this is exactly that shape" (and where each string value lies) when the text
/// is also valid JSON; for anything else (other events, escapes, non-ASCII, unknown or
/// repeated keys, non-string values) it answers `nil` and the caller falls back to
/// `JSONDecoder`. It never allocates.
struct FastMediaScanner {
    /// Byte ranges of the string values (without quotes) in the scanned text.
    struct Fields {
        var event: Range<Int>?
        var sequenceNumber: Range<Int>?
        var streamSid: Range<Int>?
        var track: Range<Int>?
        var chunk: Range<Int>?
        var timestamp: Range<Int>?
        var payload: Range<Int>?
        var sawMedia = false
    }

    private let p: UnsafePointer<UInt8>
    private let end: Int
    private var i = 0

    private init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.p = base
        self.end = count
    }

    /// Scans `text`; returns the value ranges when it is exactly a fast-path `media` message.
    static func scan(_ text: UnsafeRawBufferPointer) -> Fields? {
        guard let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var scanner = FastMediaScanner(base, count: text.count)
        return scanner.scanMessage()
    }

    private mutating func scanMessage() -> Fields? {
        var fields = Fields()
        guard consume(UInt8(ascii: "{")) else { return nil }
        var first = true
        while true {
            skipWhitespace()
            if first, peek() == UInt8(ascii: "}") { return nil }  // empty object: not media
            guard let key = string() else { return nil }
            guard consume(UInt8(ascii: ":")) else { return nil }
            skipWhitespace()
            switch keyID(key) {
            case .event:
                guard fields.event == nil, let v = string() else { return nil }
                fields.event = v
            case .sequenceNumber:
                guard fields.sequenceNumber == nil, let v = string() else { return nil }
                fields.sequenceNumber = v
            case .streamSid:
                guard fields.streamSid == nil, let v = string() else { return nil }
                fields.streamSid = v
            case .media:
                guard !fields.sawMedia, scanMediaObject(&fields) else { return nil }
                fields.sawMedia = true
            default:
                return nil
            }
            first = false
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            guard consume(UInt8(ascii: "}")) else { return nil }
            break
        }
        skipWhitespace()
        guard i == end else { return nil }
        return fields
    }

    private mutating func scanMediaObject(_ fields: inout Fields) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { i += 1; return true }
        while true {
            skipWhitespace()
            guard let key = string() else { return false }
            guard consume(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard let value = string() else { return false }
            switch keyID(key) {
            case .track:
                guard fields.track == nil else { return false }
                fields.track = value
            case .chunk:
                guard fields.chunk == nil else { return false }
                fields.chunk = value
            case .timestamp:
                guard fields.timestamp == nil else { return false }
                fields.timestamp = value
            case .payload:
                guard fields.payload == nil else { return false }
                fields.payload = value
            default:
                return false
            }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    private enum Key { case event, sequenceNumber, streamSid, media, track, chunk, timestamp, payload, other }

    private func keyID(_ r: Range<Int>) -> Key {
        switch r.count {
        case 5:
            if equals(r, "event") { return .event }
            if equals(r, "media") { return .media }
            if equals(r, "track") { return .track }
            if equals(r, "chunk") { return .chunk }
        case 7:
            if equals(r, "payload") { return .payload }
        case 9:
            if equals(r, "streamSid") { return .streamSid }
            if equals(r, "timestamp") { return .timestamp }
        case 14:
            if equals(r, "sequenceNumber") { return .sequenceNumber }
        default:
            break
        }
        return .other
    }

    private func equals(_ r: Range<Int>, _ literal: StaticString) -> Bool {
        guard literal.utf8CodeUnitCount == r.count else { return false }
        let l = literal.utf8Start
        for k in 0..<r.count where p[r.lowerBound &+ k] != l[k] { return false }
        return true
    }

    /// A string token of printable ASCII with no escapes; returns its content range.
    private mutating func string() -> Range<Int>? {
        guard i < end, p[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        while i < end {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return start..<(i - 1)
            }
            // Escapes, control characters and non-ASCII go to the general decoder.
            guard c >= 0x20, c < 0x7F, c != UInt8(ascii: "\\") else { return nil }
            i += 1
        }
        return nil
    }

    @inline(__always)
    private func peek() -> UInt8? { i < end ? p[i] : nil }

    @inline(__always)
    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < end, p[i] == byte else { return false }
        i += 1
        return true
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < end {
            switch p[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }
}
