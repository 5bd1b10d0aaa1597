import NIOCore

/// Writes the server's messages for one stream: `media` on the per-frame path, plus `mark`
/// and `clear`.
///
/// The fixed parts of a `media` message are prepared once in `init`, so ``encodeMedia(_:into:)``
/// only copies them and base64-encodes the payload straight into the destination:
/// `{"event":"media","streamSid":"MZ…","media":{"payload":"<base64>"}}`.
/// Writing into a reused `ByteBuffer` (cleared between frames) does not allocate.
public struct TwilioOutboundEncoder: Sendable {
    /// The stream every message addresses.
    public let streamSid: String
    private let mediaPrefix: [UInt8]
    private let markPrefix: [UInt8]
    private let clearMessage: [UInt8]
    private static let mediaSuffix: [UInt8] = Array("\"}}".utf8)
    private static let markSuffix: [UInt8] = Array("\"}}".utf8)

    /// Creates an encoder for `streamSid` (from `start`).
    public init(streamSid: String) {
        self.streamSid = streamSid
        let sid = JSONStringEscaper.escaped(streamSid)
        self.mediaPrefix = Array(#"{"event":"media","streamSid":""#.utf8) + sid + Array(#"","media":{"payload":""#.utf8)
        self.markPrefix = Array(#"{"event":"mark","streamSid":""#.utf8) + sid + Array(#"","mark":{"name":""#.utf8)
        self.clearMessage = Array(#"{"event":"clear","streamSid":""#.utf8) + sid + Array(#""}"#.utf8)
    }

    /// The exact byte length of a `media` message carrying `payloadByteCount` bytes.
    public func mediaMessageByteCount(payloadByteCount: Int) -> Int {
        mediaPrefix.count + Base64Codec.encodedCount(payloadByteCount) + Self.mediaSuffix.count
    }

    /// Appends a `media` message carrying `payload` (raw mu-law bytes) to `buffer`.
    public func encodeMedia(_ payload: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        let total = mediaMessageByteCount(payloadByteCount: payload.count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
            writeMedia(payload, into: out)
        }
    }

    /// Writes a `media` message carrying `payload` into `output`.
    /// - Returns: the number of bytes written.
    /// - Throws: ``TwilioEncodingError/bufferTooSmall(required:available:)``.
    public func encodeMedia(
        _ payload: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws(TwilioEncodingError) -> Int {
        let total = mediaMessageByteCount(payloadByteCount: payload.count)
        guard output.count >= total else { throw .bufferTooSmall(required: total, available: output.count) }
        return writeMedia(payload, into: output)
    }

    private func writeMedia(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        var o = copy(mediaPrefix, into: out, at: 0)
        o += Base64Codec.encode(payload, into: UnsafeMutableRawBufferPointer(rebasing: out[o...]))
        o = copy(Self.mediaSuffix, into: out, at: o)
        return o
    }

    @inline(__always)
    private func copy(_ bytes: [UInt8], into out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        bytes.withUnsafeBytes { src in
            UnsafeMutableRawBufferPointer(rebasing: out[offset..<(offset + src.count)]).copyMemory(from: src)
        }
        return offset + bytes.count
    }

    /// Appends a `mark` message named `name` to `buffer`.
    public func encodeMark(name: String, into buffer: inout ByteBuffer) {
        buffer.writeBytes(markPrefix)
        buffer.writeBytes(JSONStringEscaper.escaped(name))
        buffer.writeBytes(Self.markSuffix)
    }

    /// Appends a `clear` message to `buffer`.
    public func encodeClear(into buffer: inout ByteBuffer) {
        buffer.writeBytes(clearMessage)
    }

    /// A `media` message as a string (convenience; allocates).
    public func mediaText(_ payload: some Collection<UInt8>) -> String {
        var buffer = ByteBuffer()
        Array(payload).withUnsafeBytes { encodeMedia($0, into: &buffer) }
        return String(buffer: buffer)
    }

    /// A `mark` message as a string (convenience; allocates).
    public func markText(name: String) -> String {
        var buffer = ByteBuffer()
        encodeMark(name: name, into: &buffer)
        return String(buffer: buffer)
    }

    /// The `clear` message as a string (convenience; allocates).
    public func clearText() -> String {
        String(decoding: clearMessage, as: UTF8.self)
    }
}

/// Why ``TwilioOutboundEncoder`` could not write a message.
public enum TwilioEncodingError: Error, Sendable, Hashable {
    /// The destination holds `available` bytes but the message needs `required`.
    case bufferTooSmall(required: Int, available: Int)
}
