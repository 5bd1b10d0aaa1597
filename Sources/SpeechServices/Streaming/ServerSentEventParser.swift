/// An incremental parser for `text/event-stream` bodies (the WHATWG SSE framing).
///
/// Feed it body buffers as they arrive, split anywhere (even inside a CRLF or a UTF-8
/// sequence). It handles LF, CRLF and CR line ends, `:` comment lines, several `data:`
/// lines per event (joined with `\n`), one optional space after the colon, a leading
/// byte-order mark, and `event`, `id` and `retry` fields. An event is dispatched at a
/// blank line; one with no data is dropped, as the spec says.
public struct ServerSentEventParser: Sendable {
    /// Input the parser refuses.
    public enum ParseError: Error, Sendable, Equatable {
        /// A single line exceeded ``maxLineBytes``.
        case lineTooLong(limit: Int)
        /// An event's data exceeded ``maxEventBytes``.
        case eventTooLarge(limit: Int)
    }

    /// Longest accepted line in bytes.
    public let maxLineBytes: Int
    /// Largest accepted event data in bytes.
    public let maxEventBytes: Int

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName: String?
    private var lastID: String?
    private var retry: Int?
    private var skipNextLineFeed = false
    private var atStreamStart = true

    /// Creates a parser with size limits (defaults: 1 MiB per line and per event).
    public init(maxLineBytes: Int = 1 << 20, maxEventBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
        self.maxEventBytes = maxEventBytes
        line.reserveCapacity(512)
        data.reserveCapacity(512)
    }

    /// Whether bytes of an unfinished line or event are buffered (a stream ending now was cut).
    public var hasPartialEvent: Bool { !line.isEmpty || hasData }

    /// Parses `bytes` and calls `onEvent` for every completed event.
    public mutating func parse<Bytes: Sequence<UInt8>>(
        _ bytes: Bytes,
        onEvent: (ServerSentEvent) throws -> Void
    ) throws {
        // One non-generic loop over contiguous bytes: generic per-byte iteration across
        // module boundaries is unspecialized and far slower.
        let handled: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
            try parse(buffer: buffer, onEvent: onEvent)
        }
        if handled == nil {
            let copy = Array(bytes)
            try copy.withUnsafeBufferPointer { try parse(buffer: $0, onEvent: onEvent) }
        }
    }

    /// Parses a contiguous buffer (the loop behind every `parse` overload).
    public mutating func parse(buffer: UnsafeBufferPointer<UInt8>, onEvent: (ServerSentEvent) throws -> Void) throws {
        var index = 0
        let count = buffer.count
        while index < count {
            let byte = buffer[index]
            index += 1
            if skipNextLineFeed {
                skipNextLineFeed = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                try endLine(onEvent: onEvent)
            case 0x0D:
                skipNextLineFeed = true
                try endLine(onEvent: onEvent)
            default:
                // Copy the run up to the next line end in one go.
                var end = index
                while end < count, buffer[end] != 0x0A, buffer[end] != 0x0D { end += 1 }
                guard line.count + (end - index + 1) <= maxLineBytes else { throw ParseError.lineTooLong(limit: maxLineBytes) }
                line.append(byte)
                line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
                index = end
            }
        }
    }

    /// Parses `bytes` and returns the completed events.
    public mutating func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        try parse(bytes) { events.append($0) }
        return events
    }

    private mutating func endLine(onEvent: (ServerSentEvent) throws -> Void) throws {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        if line.isEmpty {
            try dispatch(onEvent: onEvent)
            return
        }
        if line[0] == 0x3A { return }  // ":" comment
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        var valueStart = colon == line.endIndex ? line.endIndex : colon + 1
        if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
        let name = line[0..<colon]
        if name.elementsEqual([0x64, 0x61, 0x74, 0x61]) {  // data
            if hasData { data.append(0x0A) }
            data.append(contentsOf: line[valueStart...])
            hasData = true
            guard data.count <= maxEventBytes else { throw ParseError.eventTooLarge(limit: maxEventBytes) }
        } else if name.elementsEqual([0x65, 0x76, 0x65, 0x6E, 0x74]) {  // event
            eventName = String(decoding: line[valueStart...], as: UTF8.self)
        } else if name.elementsEqual([0x69, 0x64]) {  // id
            let value = line[valueStart...]
            if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
        } else if name.elementsEqual([0x72, 0x65, 0x74, 0x72, 0x79]) {  // retry
            if let value = Int(String(decoding: line[valueStart...], as: UTF8.self)) { retry = value }
        }
    }

    private mutating func dispatch(onEvent: (ServerSentEvent) throws -> Void) throws {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventName = nil
        }
        guard hasData else { return }
        let event = ServerSentEvent(event: eventName, data: String(decoding: data, as: UTF8.self), id: lastID, retry: retry)
        try onEvent(event)
    }
}
