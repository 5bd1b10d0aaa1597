import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import TwilioCallAdapter

/// The complete text messages of a WebSocket, reassembled from its frames (Twilio sends
/// whole frames; continuations are handled anyway). Binary frames are skipped and reported;
/// a fragmented message longer than `maximumBytes` is passed on whole-so-far, so the
/// session rejects it as oversized.
struct WebSocketTextMessages: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let frames: WebSocketInboundStream
    let maximumBytes: Int
    let onBinaryFrame: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var frames: WebSocketInboundStream.AsyncIterator
        let maximumBytes: Int
        let onBinaryFrame: @Sendable () -> Void
        var partial: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            while let frame = try await frames.next() {
                switch frame.opcode {
                case .binary:
                    partial = nil
                    onBinaryFrame()
                case .text:
                    guard frame.fin else {
                        partial = frame.data
                        continue
                    }
                    return frame.data
                case .continuation:
                    guard var buffer = partial else { continue }
                    var data = frame.data
                    buffer.writeBuffer(&data)
                    if !frame.fin, buffer.readableBytes <= maximumBytes {
                        partial = buffer
                        continue
                    }
                    partial = nil
                    return buffer
                default:
                    continue
                }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(frames: frames.makeAsyncIterator(), maximumBytes: maximumBytes, onBinaryFrame: onBinaryFrame)
    }
}

/// Writes a media stream's messages as WebSocket text frames.
struct WebSocketWireWriter: TwilioWireWriter {
    let outbound: WebSocketOutboundWriter

    func write(_ text: ByteBuffer) async throws {
        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: text)))
    }

    func close(reason: TwilioCloseReason) async throws {
        switch reason {
        case .normal: try await outbound.close(.normalClosure, reason: nil)
        case .policyViolation: try await outbound.close(.policyViolation, reason: "malformed media stream")
        }
    }
}
