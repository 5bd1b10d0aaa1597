import Hummingbird
import NIOCore

/// The body parts of one scripted response: a fixed list, or a prefix and a part repeated
/// (possibly without end), generated as they are sent so a 200 MB answer costs no memory.
struct WireParts: Sendable {
    private let fixed: [[UInt8]]
    private let repeatedPart: [UInt8]
    /// Number of parts (nil: endless).
    let count: Int?

    /// A fixed list of parts.
    init(_ parts: [[UInt8]]) {
        fixed = parts
        repeatedPart = []
        count = parts.count
    }

    /// `prefix` (if not empty) as the first part, then `part` `repetitions` times (nil: endless).
    init(prefix: [UInt8], part: [UInt8], count repetitions: Int?) {
        let head: [[UInt8]] = prefix.isEmpty ? [] : [prefix]
        fixed = head
        repeatedPart = part.isEmpty ? [0x20] : part
        count = repetitions.map { head.count + max(0, $0) }
    }

    /// Part `index`, or nil past the end.
    func part(_ index: Int) -> [UInt8]? {
        if let count, index >= count { return nil }
        if index < fixed.count { return fixed[index] }
        return repeatedPart
    }
}

/// The wire server's request context: Hummingbird's basic context plus the client's port,
/// so tests can tell which requests shared a connection.
struct WireRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's TCP port.
    let remotePort: Int?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remotePort = source.channel.remoteAddress?.port
    }
}
