import AsyncHTTPClient
import CallEngine
import Foundation
import Logging
import NIOCore

/// Delivers post-call results to an HTTP webhook through a durable ``ResultOutbox``.
///
/// Every result is written to the outbox before the first POST, and removed only after the
/// receiver answered 2xx. Each POST is signed (``ResultSignature``, header `X-Call-Signature`)
/// and carries `Idempotency-Key: <callID>`, so a receiver drops the duplicates an ambiguous
/// failure or a crash can cause. Results the receiver did not take are redelivered by
/// ``redeliverDue()``: each entry backs off on its own (``RedeliverySchedule``), so one bad
/// entry never holds up another; entries that can never be delivered (undecodable, a 4xx
/// other than 408/429, a request AsyncHTTPClient refuses to build) move to `dead-letter/`.
public actor WebhookResultSink: StagedResultSink, ResultStorageHealthReporting {
    /// The durable outbox.
    public nonisolated let outbox: ResultOutbox
    /// Target, secret and timeouts.
    public nonisolated let configuration: WebhookConfiguration
    /// The outbox's storage state.
    public nonisolated var storageHealth: ResultStorageHealth { outbox.storageHealth }

    private let client: HTTPClient
    private let logger: Logger
    private let now: @Sendable () -> ContinuousClock.Instant
    private let wallClock: @Sendable () -> Date
    private var schedule: RedeliverySchedule
    private var inFlight: Set<String> = []
    private var random = SystemRandomNumberGenerator()

    /// What one ``redeliverDue()`` pass did.
    public struct RedeliveryReport: Sendable, Hashable {
        /// Acknowledged with a 2xx and removed.
        public var delivered = 0
        /// Moved to `dead-letter/`.
        public var deadLettered = 0
        /// Tried and failed; backing off.
        public var failed = 0
        /// Not tried: still backing off, or being delivered by a call.
        public var waiting = 0
    }

    /// Creates a sink.
    /// - Parameters:
    ///   - configuration: URL, secret, timeout, backoff.
    ///   - outbox: The durable outbox.
    ///   - client: The HTTP client (the shared one by default).
    ///   - now: The monotonic clock of the backoff (injected by tests to advance time).
    ///   - wallClock: The clock of signature timestamps.
    ///   - logger: Logger for delivery events (lines carry `call_sid`).
    public init(
        configuration: WebhookConfiguration,
        outbox: ResultOutbox,
        client: HTTPClient = .shared,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        wallClock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "call-results.webhook")
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.client = client
        self.now = now
        self.wallClock = wallClock
        self.logger = logger
        self.schedule = RedeliverySchedule(policy: configuration.redelivery)
    }

    // MARK: ResultSink

    /// Stores the result, then posts it once. Throws only if it is lost (neither stored nor
    /// delivered).
    public func deliver(_ result: CallResult) async throws {
        let persistence = await persist(result)
        if case .failed(let error) = persistence {
            guard await deliverUnstored(result) else {
                ResultOutbox.recordLost(result, error: "\(error)", logger: logger)
                throw error
            }
            return
        }
        await dispatch(result, persistence: persistence)
    }

    /// Stores a checkpoint of a running call in the outbox.
    public func checkpoint(_ result: CallResult) async throws {
        try await outbox.checkpoint(result)
    }

    // MARK: StagedResultSink

    /// Writes the result to the outbox.
    public nonisolated func persist(_ result: CallResult) async -> ResultPersistence {
        await outbox.persist(result)
    }

    /// Posts a stored result once (redelivery takes over on failure); a result that could not
    /// be stored gets ``WebhookConfiguration/unstoredAttempts`` tries, then counts as lost.
    public func dispatch(_ result: CallResult, persistence: ResultPersistence) async {
        guard case .durable = persistence else {
            let delivered = await deliverUnstored(result)
            if !delivered, case .failed(let error) = persistence {
                ResultOutbox.recordLost(result, error: "\(error)", logger: logger)
            }
            return
        }
        let name = result.identity.storageName + ResultOutbox.resultExtension
        guard let body = try? [UInt8](result.jsonData()) else { return }
        guard inFlight.insert(name).inserted else { return }
        defer { inFlight.remove(name) }
        let outcome = await post(body, callID: result.identity.callID)
        await apply(outcome, name: name, callID: result.identity.callID)
    }

    // MARK: Redelivery

    /// Tries every outbox entry that is due, independently and a few at a time; entries
    /// still backing off wait. Undecodable entries are dead-lettered.
    @discardableResult
    public func redeliverDue() async -> RedeliveryReport {
        var report = RedeliveryReport()
        let instant = now()
        // Entries backing off or being delivered by their call are not even read.
        let skipped = inFlight.union(
            (schedule.backingOffNames).filter { !schedule.isDue($0, at: instant) }
        )
        let listing: (names: [String], entries: [OutboxEntry])
        do {
            listing = try await outbox.listing(skipping: skipped)
        } catch {
            logger.error("cannot list the result outbox", metadata: ["error": "\(error)"])
            return report
        }
        schedule.retain(only: Set(listing.names))
        report.waiting = listing.names.count - listing.entries.count
        var due: [(name: String, callID: String, body: [UInt8])] = []
        for entry in listing.entries {
            guard !inFlight.contains(entry.name) else {
                report.waiting += 1
                continue
            }
            switch entry.content {
            case .undecodable(let reason):
                if await outbox.moveToDeadLetter(entry.name, reason: "undecodable", detail: reason, callID: nil) {
                    report.deadLettered += 1
                }
            case .result(let result):
                due.append((entry.name, result.identity.callID, entry.bytes))
            }
        }
        inFlight.formUnion(due.map(\.name))
        let outcomes = await postAll(due)
        for (index, outcome) in outcomes {
            let item = due[index]
            inFlight.remove(item.name)
            switch await apply(outcome, name: item.name, callID: item.callID) {
            case .delivered: report.delivered += 1
            case .rejected: report.deadLettered += 1
            case .retry: report.failed += 1
            }
        }
        return report
    }

    /// Runs ``redeliverDue()`` every `interval` until cancelled; while the storage is marked
    /// unwritable it is probed too, so readiness recovers without a call.
    public func runRedelivery(every interval: Duration) async {
        while !Task.isCancelled {
            if outbox.storageHealth.unwritableReason != nil { await outbox.probe() }
            await redeliverDue()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// The schedule (for inspection).
    public var currentSchedule: RedeliverySchedule { schedule }

    // MARK: Posting

    private nonisolated func postAll(_ due: [(name: String, callID: String, body: [UInt8])]) async -> [(Int, WebhookOutcome)] {
        let limit = configuration.maximumConcurrentDeliveries
        return await withTaskGroup(of: (Int, WebhookOutcome).self) { group in
            var outcomes: [(Int, WebhookOutcome)] = []
            outcomes.reserveCapacity(due.count)
            var next = 0
            while next < due.count || !group.isEmpty {
                while next < due.count && next - outcomes.count < limit {
                    let index = next
                    let item = due[index]
                    group.addTask { (index, await self.post(item.body, callID: item.callID)) }
                    next += 1
                }
                if let outcome = await group.next() { outcomes.append(outcome) }
            }
            return outcomes
        }
    }

    /// One signed POST.
    nonisolated func post(_ body: [UInt8], callID: String) async -> WebhookOutcome {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: callID)
        if let secret = configuration.secret {
            request.headers.add(name: ResultSignature.headerName, value: ResultSignature.header(body: body, secret: secret, timestamp: wallClock()))
        }
        for (name, value) in configuration.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Self.nanoseconds(configuration.timeout)))
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return WebhookOutcome.classify(status: Int(response.status.code))
        } catch {
            return WebhookOutcome.classify(error: error)
        }
    }

    @discardableResult
    private func apply(_ outcome: WebhookOutcome, name: String, callID: String) async -> WebhookOutcome {
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(callID)"
        switch outcome {
        case .delivered:
            schedule.forget(name)
            ResultMetrics.countDelivered()
            do {
                try await outbox.remove(name)
                logger.info("post-call result delivered to webhook")
            } catch {
                logger.error("delivered, but could not remove it from the outbox (a duplicate will follow)", metadata: ["error": "\(error)"])
            }
        case .rejected(let reason):
            schedule.forget(name)
            if !(await outbox.moveToDeadLetter(name, reason: "rejected", detail: reason, callID: callID)) {
                // Stays in the outbox; back off so it is not hammered.
                schedule.recordFailure(name, at: now(), using: &random)
            }
        case .retry(let reason):
            let next = schedule.recordFailure(name, at: now(), using: &random)
            let failures = schedule.record(for: name)?.failures ?? 1
            logger.warning("webhook did not take the result; kept in the outbox", metadata: [
                "reason": "\(reason)", "failures": "\(failures)", "retry_in_ms": "\(Self.milliseconds(next - now()))",
            ])
        }
        return outcome
    }

    /// Last chance for a result the outbox could not store: a few attempts with backoff.
    private func deliverUnstored(_ result: CallResult) async -> Bool {
        guard let body = try? [UInt8](result.jsonData()) else { return false }
        var logger = self.logger
        logger[metadataKey: "call_sid"] = "\(result.identity.callID)"
        var backoff = Duration.milliseconds(200)
        for attempt in 1...configuration.unstoredAttempts {
            switch await post(body, callID: result.identity.callID) {
            case .delivered:
                ResultMetrics.countDelivered()
                logger.warning("outbox unwritable; post-call result delivered directly")
                return true
            case .rejected(let reason):
                logger.error("webhook rejected an unstored result", metadata: ["reason": "\(reason)"])
                return false
            case .retry(let reason):
                logger.warning("webhook unavailable for an unstored result", metadata: ["reason": "\(reason)", "attempt": "\(attempt)"])
            }
            if attempt < configuration.unstoredAttempts {
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
        }
        return false
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
