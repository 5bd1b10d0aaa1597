import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// Delivers post-call results to an HTTP webhook (JSON POST), falling back to a durable
/// ``FileSpoolResultSink`` when the webhook is down, and redelivering spooled results later.
///
/// Each POST carries `Idempotency-Key: <callID>` so a receiver can drop a duplicate after an
/// ambiguous failure (a timeout after the receiver committed). A spooled result is removed
/// only after the webhook answered 2xx for it.
public actor WebhookResultSink: ResultSink {
    /// Webhook target.
    public let url: String
    /// Where results wait while the webhook is down.
    public let spool: FileSpoolResultSink
    /// Attempts per delivery before spooling.
    public let attempts: Int
    /// Backoff before the second attempt; doubles each time.
    public let initialBackoff: Duration
    /// Per-request timeout.
    public let timeout: Duration

    private let client: HTTPClient
    private let headers: [(String, String)]
    private let logger: Logger

    /// Creates a sink. `headers` are added to every request (for example an authorization header).
    public init(
        url: String,
        spool: FileSpoolResultSink,
        client: HTTPClient = .shared,
        headers: [(String, String)] = [],
        attempts: Int = 3,
        initialBackoff: Duration = .milliseconds(200),
        timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "call-engine.results")
    ) {
        self.url = url
        self.spool = spool
        self.client = client
        self.headers = headers
        self.attempts = max(1, attempts)
        self.initialBackoff = initialBackoff
        self.timeout = timeout
        self.logger = logger
    }

    /// Posts the result; on failure after retries, spools it durably. Throws only if even
    /// the spool fails.
    public func deliver(_ result: CallResult) async throws {
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(result.identity.callID)"
        let body = try result.jsonData()
        if await post(body, callID: result.identity.callID, logger: logger) {
            logger.info("post-call result delivered to webhook")
            return
        }
        try await spool.deliver(result)
        logger.warning("webhook unavailable; post-call result spooled", metadata: ["spool": "\(spool.directory.path)"])
    }

    /// Tries every spooled result once, oldest first; removes each one the webhook accepted.
    /// - Returns: how many were delivered.
    @discardableResult
    public func redeliverSpooled() async -> Int {
        let pending: [(url: URL, result: CallResult)]
        do {
            pending = try spool.pending()
        } catch {
            logger.error("cannot read the result spool", metadata: ["error": "\(error)"])
            return 0
        }
        var delivered = 0
        for item in pending {
            var logger = self.logger
            logger[metadataKey: "call_sid"] = "\(item.result.identity.callID)"
            guard let body = try? item.result.jsonData() else { continue }
            guard await post(body, callID: item.result.identity.callID, logger: logger) else { break }
            do {
                try spool.remove(item.url)
                delivered += 1
                logger.info("spooled post-call result redelivered")
            } catch {
                logger.error("delivered but could not remove from spool", metadata: ["error": "\(error)"])
            }
        }
        return delivered
    }

    /// Redelivers the spool every `interval` until the task is cancelled.
    public func runRedelivery(every interval: Duration) async {
        while !Task.isCancelled {
            await redeliverSpooled()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    private func post(_ body: Data, callID: String, logger: Logger) async -> Bool {
        var backoff = initialBackoff
        for attempt in 1...attempts {
            if Task.isCancelled { return false }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Idempotency-Key", value: callID)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status.code) { return true }
                logger.warning("webhook refused result", metadata: ["status": "\(response.status.code)", "attempt": "\(attempt)"])
                if (400..<500).contains(response.status.code) && response.status.code != 408 && response.status.code != 429 { return false }
            } catch {
                logger.warning("webhook request failed", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
            }
            if attempt < attempts {
                do { try await Task.sleep(for: backoff) } catch { return false }
                backoff *= 2
            }
        }
        return false
    }
}
