import HummingbirdCore
import Logging
import NIOCore

/// Wraps a Hummingbird child channel (here HTTP/1 with the WebSocket upgrade) so every
/// accepted connection gets a ``ConnectionGuardHandler`` in front of its pipeline before the
/// HTTP decoder exists: Hummingbird's own idle timeout is only installed once a request head
/// has been parsed, so without this a client that never finishes its head would hold its
/// connection for ever.
struct GuardedServerChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let connections: ConnectionGuard

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(connections: connections), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
