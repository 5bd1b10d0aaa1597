import NIOCore
import Synchronization

/// A raw TCP connection to the worker kept open by the test: it sends some bytes, optionally
/// waits for a complete response head, and then reports everything it received once the
/// server closes it (``closed``), or until the test releases it.
final class HeldConnection: Sendable {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    /// Everything received, returned when the connection ends (server close or ``release()``).
    let closed: Task<String, any Error>

    /// Opens a connection, sends `bytes`, and with `awaitResponse` returns only once a
    /// response head arrived (so the server has surely read the request).
    static func open(port: Int, sending bytes: String, awaitResponse: Bool = false) async throws -> HeldConnection {
        let channel = try await RawHTTP.open(port: port)
        let (heads, headContinuation) = AsyncStream.makeStream(of: Void.self)
        let closed = Task {
            try await channel.executeThenClose { inbound, outbound in
                var text = ""
                var answered = false
                do {
                    if !bytes.isEmpty { try await outbound.write(ByteBuffer(string: bytes)) }
                } catch {
                    // An evicted or refused connection may be closed before this write.
                }
                headContinuation.yield()
                do {
                    for try await var chunk in inbound {
                        text += chunk.readString(length: chunk.readableBytes) ?? ""
                        if !answered, text.contains("\r\n\r\n") {
                            answered = true
                            headContinuation.yield()
                        }
                    }
                } catch {
                    // A server that closes with our bytes unread resets the connection: closed too.
                }
                headContinuation.finish()
                return text
            }
        }
        var iterator = heads.makeAsyncIterator()
        _ = await iterator.next()   // sent
        if awaitResponse { _ = await iterator.next() }
        return HeldConnection(channel: channel, closed: closed)
    }

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, closed: Task<String, any Error>) {
        self.channel = channel
        self.closed = closed
    }

    /// Closes the connection from the client side.
    func release() {
        channel.channel.close(promise: nil)
    }
}
