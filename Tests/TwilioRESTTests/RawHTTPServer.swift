import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP server on 127.0.0.1 that answers every HTTP request with fixed bytes (any
/// status, headers and body, also a body shorter than its `Content-Length`), then optionally
/// closes, or never answers at all: the error shapes a real Twilio client must survive.
final class RawHTTPServer: Sendable {
    enum Reply: Sendable {
        /// Write these bytes, then close the connection when `close` is true.
        case bytes(String, close: Bool)
        /// Read the request and never answer.
        case stall
    }

    private let channel: any Channel
    let port: Int

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    static func start(_ reply: Reply) async throws -> RawHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(reply: reply)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return RawHTTPServer(channel: channel)
    }

    /// A complete response with a JSON body.
    static func json(status: String, headers: [String] = [], body: String) -> Reply {
        let head = (["HTTP/1.1 \(status)", "Content-Type: application/json", "Content-Length: \(body.utf8.count)"] + headers).joined(separator: "\r\n")
        return .bytes(head + "\r\n\r\n" + body, close: false)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: Reply
        private let received = NIOLockedValueBox("")

        init(reply: Reply) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            let text = received.withLockedValue { text -> String in
                text += String(buffer: buffer)
                return text
            }
            guard let headerEnd = text.range(of: "\r\n\r\n") else { return }
            let head = text[..<headerEnd.lowerBound].lowercased()
            var length = 0
            if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            guard text[headerEnd.upperBound...].utf8.count >= length else { return }
            received.withLockedValue { $0 = "" }
            switch reply {
            case .stall:
                return
            case .bytes(let bytes, let close):
                let out = context.channel.allocator.buffer(string: bytes)
                if close {
                    let channel = context.channel
                    context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
                } else {
                    context.writeAndFlush(wrapOutboundOut(out), promise: nil)
                }
            }
        }
    }
}
