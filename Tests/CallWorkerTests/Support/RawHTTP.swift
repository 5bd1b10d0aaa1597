import Foundation
import NIOCore
import NIOPosix

/// HTTP/1.1 over a plain TCP connection, for requests a normal client will not send (any
/// `Host`, forwarding headers, half-sent heads) and for watching the server close.
enum RawHTTP {
    /// A response as read off the wire.
    struct Response: Sendable {
        var status: Int
        var headers: String
        var body: String
    }

    /// Sends `request` (the whole text, head and body) and reads one response: up to the end
    /// of the head for `101 Switching Protocols` (then closes), else the `Content-Length`
    /// body or until the server closes. Status 0 means the server closed without answering.
    static func exchange(port: Int, _ request: String) async throws -> Response {
        try await withConnection(port: port) { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var text = ""
            for try await var chunk in inbound {
                text += chunk.readString(length: chunk.readableBytes) ?? ""
                if let response = complete(text) { return response }
            }
            return complete(text, closed: true) ?? Response(status: 0, headers: "", body: text)
        }
    }

    /// Sends `bytes` and returns what the server sent before it closed the connection.
    static func sendAndAwaitClose(port: Int, _ bytes: String) async throws -> String {
        try await withConnection(port: port) { inbound, outbound in
            var text = ""
            do {
                // A refused connection may be closed before the request is even written.
                if !bytes.isEmpty { try await outbound.write(ByteBuffer(string: bytes)) }
                for try await var chunk in inbound { text += chunk.readString(length: chunk.readableBytes) ?? "" }
            } catch {
                // Closed with our bytes unread: a reset is a close too.
            }
            return text
        }
    }

    /// A connection kept open by the caller (slow-header and flood tests).
    static func open(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private static func withConnection<T: Sendable>(
        port: Int, _ body: (NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> T
    ) async throws -> T {
        let channel = try await open(port: port)
        return try await channel.executeThenClose { inbound, outbound in try await body(inbound, outbound) }
    }

    private static func complete(_ text: String, closed: Bool = false) -> Response? {
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<end.lowerBound])
        let status = head.prefix { $0 != "\r" }.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let body = String(text[end.upperBound...])
        if status == 101 { return Response(status: status, headers: head, body: "") }
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        if let length, body.utf8.count >= length { return Response(status: status, headers: head, body: body) }
        return closed ? Response(status: status, headers: head, body: body) : nil
    }

    /// A WebSocket upgrade request for `path` with `host` and extra header lines.
    static func upgrade(_ path: String, host: String, headers: [(String, String)] = []) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return request + "\r\n"
    }

    /// A form POST for `path` with `host` and extra header lines.
    static func post(_ path: String, host: String, form: String, headers: [(String, String)] = []) -> String {
        var request = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        request += "Content-Length: \(form.utf8.count)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return request + "\r\n" + form
    }

    /// A GET for `path` with `host` and extra header lines.
    static func get(_ path: String, host: String, headers: [(String, String)] = []) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        return request + "\r\n"
    }
}
