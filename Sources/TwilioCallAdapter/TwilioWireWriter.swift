import NIOCore

/// Where a Twilio media stream's outbound messages go: one WebSocket text frame per write.
public protocol TwilioWireWriter: Sendable {
    /// Writes one UTF-8 JSON text message.
    func write(_ text: ByteBuffer) async throws
    /// Closes the stream (the carrier then hangs up).
    func close(reason: TwilioCloseReason) async throws
}

/// Why the worker closes a media stream.
public enum TwilioCloseReason: Sendable, Hashable {
    /// The call ended normally (hang-up).
    case normal
    /// The peer broke the protocol (malformed stream, no `start` in time).
    case policyViolation
}
