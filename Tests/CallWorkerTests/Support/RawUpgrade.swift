import NIOCore
import NIOPosix

/// A WebSocket upgrade request over a plain TCP connection, returning the server's status
/// and body as sent (a refused upgrade is answered and the connection closed).
enum RawUpgrade {
    static func attempt(port: Int, path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let response = try await channel.executeThenClose { inbound, outbound in
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            request += "\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var text = ""
            for try await var chunk in inbound {
                text += chunk.readString(length: chunk.readableBytes) ?? ""
            }
            return text
        }
        let statusLine = response.prefix { $0 != "\r" }
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = response.range(of: "\r\n\r\n").map { String(response[$0.upperBound...]) } ?? ""
        return (status, body)
    }
}
