import OpenAIServices
import SpeechServices

/// libFuzzer entry: an SSE body parsed by `ServerSentEventParser`, each event's data handed to
/// `OpenAIChatStreamDecoder` (as the chat model does), then `finish()`. The input is also
/// split on newlines and each line decoded as one chunk, so mutated JSON reaches the decoder
/// even when the SSE framing is broken.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChatStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    var parser = ServerSentEventParser(maxLineBytes: 1 << 16, maxEventBytes: 1 << 16)
    var decoder = OpenAIChatStreamDecoder(provider: "fuzz", maxReplyCharacters: 4096)
    do {
        try parser.parse(buffer: bytes) { event in
            try decoder.decode(data: event.data) { _ in }
        }
        try decoder.finish()
    } catch {}
    var lines = OpenAIChatStreamDecoder(provider: "fuzz", maxReplyCharacters: 512)
    for line in bytes.split(separator: 0x0A) {
        let text = String(decoding: line, as: UTF8.self)
        do { try lines.decode(data: text) { _ in } } catch { break }
    }
    _ = try? lines.finish()
    return 0
}
