import SpeechServices

/// libFuzzer entry: `ServerSentEventParser` on arbitrary bytes, fed in two pieces split at a
/// point chosen by the input (so splits inside CRLF and UTF-8 are covered), with small limits
/// so the size checks are reached.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = Int(bytes[0]) % size
    let body = UnsafeBufferPointer(rebasing: bytes[1...])
    let cut = min(split, body.count)
    var whole = ServerSentEventParser()
    var small = ServerSentEventParser(maxLineBytes: 64, maxEventBytes: 128)
    var events = 0
    _ = try? whole.parse(buffer: body) { _ in events += 1 }
    _ = whole.hasPartialEvent
    do {
        try small.parse(buffer: UnsafeBufferPointer(rebasing: body[..<cut])) { event in
            // The limit is in raw bytes; each byte decodes to at most one scalar (invalid ones to U+FFFD).
            precondition(event.data.unicodeScalars.count <= 128, "event over its limit was dispatched")
        }
        try small.parse(buffer: UnsafeBufferPointer(rebasing: body[cut...])) { event in
            precondition(event.data.unicodeScalars.count <= 128, "event over its limit was dispatched")
        }
    } catch {}
    return 0
}
