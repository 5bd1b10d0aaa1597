import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the worker's routers: Hummingbird's core context, the WebSocket
/// handler reference, and the connection's channel, so a refused WebSocket upgrade can be
/// answered with its real status (see ``RefusedUpgradeResponses``).
public struct WorkerRequestContext: RequestContext, WebSocketRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The WebSocket handler, set when a route upgrades.
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection the request arrived on.
    public let channel: any Channel

    /// Creates the context for a request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
