import Foundation
import TwilioMediaStreams

private let sid = "MZ0123456789abcdef0123456789abcdef"
private let anyStream = TwilioMessageParser()
private let oneStream: TwilioMessageParser = {
    var parser = TwilioMessageParser(maximumMessageBytes: 4096, maximumPayloadBytes: 320)
    parser.expectStreamSid(sid)
    return parser
}()
nonisolated(unsafe) private let payload = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: TwilioMessageParser.defaultMaximumPayloadBytes)

/// libFuzzer entry: one inbound WebSocket text message through `TwilioMessageParser` (the
/// fast media path and the `JSONDecoder` path behind it), with the default limits and with
/// small limits plus an expected stream SID, and through the `Codable` message enum.
/// A media frame must never claim more payload bytes than the limit or the buffer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTwilioMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let message = UnsafeRawBufferPointer(start: data, count: size)
    for parser in [anyStream, oneStream] {
        if case .media(let frame) = try? parser.parse(message, payloadInto: payload) {
            precondition(frame.payloadByteCount > 0 && frame.payloadByteCount <= parser.maximumPayloadBytes,
                         "media frame payload outside its limit")
        }
    }
    _ = try? JSONDecoder().decode(TwilioInboundMessage.self, from: Data(message))
    return 0
}
