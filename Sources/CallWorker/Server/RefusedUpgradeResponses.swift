import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// The status and body of each WebSocket upgrade the worker refused, by connection.
///
/// hummingbird-websocket 2.8 answers every refused upgrade with a bare `400`, whatever the
/// route decided. The worker records its decision here (404 unknown bot, 403 bad signature,
/// 503 full or draining) and ``RefusedUpgradeStatusHandler``, installed on every HTTP
/// connection, rewrites that `400` into the recorded response. An entry lives until its
/// response is written or its connection closes.
public final class RefusedUpgradeResponses: Sendable {
    /// A refusal to send instead of the library's `400`.
    public struct Refusal: Sendable, Hashable {
        /// The HTTP status.
        public var status: HTTPResponse.Status
        /// A JSON body such as `{"error":"unknown bot"}`.
        public var body: String

        /// Creates a refusal.
        public init(status: HTTPResponse.Status, body: String) {
            self.status = status
            self.body = body
        }
    }

    private let refusals = NIOLockedValueBox<[ObjectIdentifier: Refusal]>([:])

    /// Creates an empty table.
    public init() {}

    /// Records the refusal of the upgrade request on `channel`.
    public func record(_ refusal: Refusal, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        refusals.withLockedValue { $0[key] = refusal }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.refusals.withLockedValue { $0.removeValue(forKey: key) }
        }
    }

    /// Removes and returns the refusal recorded for `channel`.
    func take(for channel: any Channel) -> Refusal? {
        refusals.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Refusals not yet written (for tests and diagnostics).
    public var pendingCount: Int { refusals.withLockedValue { $0.count } }
}

/// Rewrites the `400` that hummingbird-websocket writes for a refused upgrade into the
/// response recorded in ``RefusedUpgradeResponses`` for the connection. Every other response
/// passes through untouched.
final class RefusedUpgradeStatusHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let responses: RefusedUpgradeResponses

    init(responses: RefusedUpgradeResponses) {
        self.responses = responses
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
              let refusal = responses.take(for: context.channel)
        else {
            context.write(data, promise: promise)
            return
        }
        let body = context.channel.allocator.buffer(string: refusal.body)
        head.status = refusal.status
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.contentType] = "application/json"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: promise)
    }
}
