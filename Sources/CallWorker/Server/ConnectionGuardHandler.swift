import NIOCore

/// The first handler of every accepted connection (before HTTP decoding, so it also sees
/// clients that never finish a request head): registers the connection with the
/// ``ConnectionGuard`` (closing it when refused), closes it when its first request head is
/// not complete within ``ConnectionGuard/headerTimeout``, and unregisters it on close.
///
/// It looks for the blank line ending the head (`CRLF CRLF`, or bare `LF LF`) and then only
/// passes bytes through, for HTTP and for WebSocket frames after an upgrade alike.
final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connections: ConnectionGuard
    private var id: Int?
    private var registered = false
    private var headDone = false
    private var lineLength = 0
    private var sawLine = false
    private var timer: Scheduled<Void>?

    init(connections: ConnectionGuard) {
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        // A refused connection is closed here; the HTTP handlers never see it.
        if register(context) { context.fireChannelActive() }
    }

    /// Registers the connection once; false when it was refused (and is being closed).
    private func register(_ context: ChannelHandlerContext) -> Bool {
        guard !registered else { return id != nil }
        registered = true
        guard let id = connections.open(context.channel) else {
            context.close(promise: nil)
            return false
        }
        self.id = id
        let connections = self.connections
        let nanoseconds = Int64(connections.headerTimeout.components.seconds) * 1_000_000_000
            + connections.headerTimeout.components.attoseconds / 1_000_000_000
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) { [weak self] in
            guard let self, !self.headDone else { return }
            connections.headerTimedOut(id)
            context.close(promise: nil)
        }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headDone, id != nil {
            let buffer = unwrapInboundIn(data)
            if scanForEndOfHead(buffer) {
                headDone = true
                timer?.cancel()
                timer = nil
                if let id { connections.headComplete(id) }
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        unregister()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        unregister()
    }

    private func unregister() {
        timer?.cancel()
        timer = nil
        if let id {
            connections.closed(id)
            self.id = nil
        }
    }

    /// Whether `buffer` completes the head: an empty line after at least one non-empty one.
    private func scanForEndOfHead(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\n"):
                    if lineLength == 0 && sawLine { return true }
                    if lineLength > 0 { sawLine = true }
                    lineLength = 0
                case UInt8(ascii: "\r"):
                    break
                default:
                    lineLength += 1
                }
            }
            return false
        }
    }
}
