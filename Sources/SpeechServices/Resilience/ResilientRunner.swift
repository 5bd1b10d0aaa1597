import Logging
import NIOConcurrencyHelpers

/// The shared engine of the resilient wrappers: breaker admission, stage timeouts,
/// retries with backoff, per-attempt metrics, and the rule that an attempt which already
/// handed output downstream is never retried.
struct ResilientRunner: Sendable {
    let descriptor: ProviderDescriptor
    let operation: String
    let unit: String
    let policy: ResiliencePolicy
    let breaker: CircuitBreaker
    let clock: any ResilienceClock
    /// Limits repeated failure lines (a provider answering 429 to every call must not flood the log).
    let logLimiter: LogRateLimiter

    /// Per-attempt mutable state shared between the forwarding task and the watchdog.
    final class AttemptState: Sendable {
        struct Progress {
            var lastActivity: Duration
            var receivedFirst = false
        }

        let progress: NIOLockedValueBox<Progress>
        let handedOutput = NIOLockedValueBox(false)
        /// The watchdog's current sleep; cancelled at the first element so the watchdog
        /// re-arms with the (usually shorter) stall deadline.
        let watchdogSleep = NIOLockedValueBox<Task<Void, any Error>?>(nil)

        init(start: Duration) {
            progress = NIOLockedValueBox(Progress(lastActivity: start))
        }
    }

    /// Runs `makeAttempt` with all policies applied and streams its elements.
    func run<Element: Sendable>(
        context: ProviderCallContext,
        isOutput: @escaping @Sendable (Element) -> Bool,
        units: @escaping @Sendable (Element) -> Int,
        makeAttempt: @escaping @Sendable () -> ProviderStream<Element>
    ) -> ProviderStream<Element> {
        let runner = self
        return ProviderStream(provider: descriptor.name) { continuation throws(ProviderError) in
            try await runner.execute(context: context, continuation: continuation, isOutput: isOutput, units: units, makeAttempt: makeAttempt)
        }
    }

    private func execute<Element: Sendable>(
        context: ProviderCallContext,
        continuation: ProviderStream<Element>.Continuation,
        isOutput: @escaping @Sendable (Element) -> Bool,
        units: @escaping @Sendable (Element) -> Int,
        makeAttempt: @escaping @Sendable () -> ProviderStream<Element>
    ) async throws(ProviderError) {
        var logger = context.logger
        logger[metadataKey: "provider"] = "\(descriptor.name)"
        logger[metadataKey: "model"] = "\(descriptor.model)"
        logger[metadataKey: "operation"] = "\(operation)"
        let callStart = clock.now()
        let totalDeadline = policy.timeouts.total.map { callStart + $0 }
        var attempt = 0
        while true {
            attempt += 1
            let admission = breaker.acquire()
            if admission == .rejected {
                let error = ProviderError(.circuitOpen, provider: descriptor.name, message: "circuit breaker is open")
                ProviderCallMetrics(descriptor: descriptor, operation: operation, unit: unit, clock: clock).recordOutcome(error)
                logger.debug("request rejected: circuit open")
                throw error
            }
            let metrics = ProviderCallMetrics(descriptor: descriptor, operation: operation, unit: unit, clock: clock)
            let state = AttemptState(start: clock.now())
            do throws(ProviderError) {
                try await runAttempt(
                    state: state, totalDeadline: totalDeadline, metrics: metrics, continuation: continuation,
                    isOutput: isOutput, units: units, makeAttempt: makeAttempt
                )
                if Task.isCancelled {
                    let error = ProviderError(.cancelled, provider: descriptor.name, message: "cancelled")
                    breaker.recordFailure(.cancelled)
                    metrics.recordOutcome(error)
                    throw error
                }
                breaker.recordSuccess()
                metrics.recordOutcome(nil)
                return
            } catch {
                let failure = Task.isCancelled && error.kind != .cancelled
                    ? ProviderError(.cancelled, provider: descriptor.name, message: "cancelled") : error
                breaker.recordFailure(failure.kind)
                metrics.recordOutcome(failure)
                let handedOutput = state.handedOutput.withLockedValue { $0 }
                var metadata: Logger.Metadata = [
                    "attempt": "\(attempt)", "error_kind": "\(failure.kind.label)",
                    "error": "\(failure.description)",
                ]
                let logKey = "\(operation)|\(failure.kind.label)"
                if handedOutput {
                    logLimiter.log(
                        logger, level: .warning, "provider failed after output was handed downstream; not retrying",
                        metadata: metadata, key: "partial|" + logKey
                    )
                    throw failure
                }
                guard var delay = policy.retry.delay(afterAttempt: attempt, error: failure) else {
                    logLimiter.log(logger, level: .warning, "provider request failed", metadata: metadata, key: "failed|" + logKey)
                    throw failure
                }
                let now = clock.now()
                if let totalDeadline {
                    if now + delay >= totalDeadline {
                        logLimiter.log(
                            logger, level: .warning, "provider request failed; no time left to retry", metadata: metadata,
                            key: "deadline|" + logKey
                        )
                        throw failure
                    }
                    delay = min(delay, totalDeadline - now)
                }
                metadata["retry_in_ms"] = "\(NetworkNumber.saturatingInt(delay.seconds * 1000))"
                logLimiter.log(logger, level: .info, "provider request failed; retrying", metadata: metadata, key: "retry|" + logKey)
                do {
                    try await clock.sleep(until: now + delay)
                } catch {
                    throw ProviderError(.cancelled, provider: descriptor.name, message: "cancelled during backoff")
                }
            }
        }
    }

    private func runAttempt<Element: Sendable>(
        state: AttemptState,
        totalDeadline: Duration?,
        metrics: ProviderCallMetrics,
        continuation: ProviderStream<Element>.Continuation,
        isOutput: @escaping @Sendable (Element) -> Bool,
        units: @escaping @Sendable (Element) -> Int,
        makeAttempt: @escaping @Sendable () -> ProviderStream<Element>
    ) async throws(ProviderError) {
        let clock = self.clock
        let timeouts = policy.timeouts
        let provider = descriptor.name
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var iterator = makeAttempt().makeAsyncIterator()
                    while let element = try await iterator.next() {
                        let now = clock.now()
                        let first = state.progress.withLockedValue { progress in
                            defer {
                                progress.receivedFirst = true
                                progress.lastActivity = now
                            }
                            return !progress.receivedFirst
                        }
                        if first {
                            metrics.recordFirstOutput()
                            state.watchdogSleep.withLockedValue { $0 }?.cancel()
                        }
                        metrics.recordUnits(units(element))
                        if isOutput(element) { state.handedOutput.withLockedValue { $0 = true } }
                        continuation.yield(element)
                    }
                }
                if timeouts.firstByte != nil || timeouts.stall != nil || totalDeadline != nil {
                    group.addTask {
                        try await Self.watchdog(state: state, timeouts: timeouts, totalDeadline: totalDeadline, clock: clock, provider: provider)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            throw ProviderError.wrapping(error, provider: provider)
        }
    }

    /// Sleeps until the nearest deadline and throws the matching timeout once one has passed.
    private static func watchdog(
        state: AttemptState,
        timeouts: TimeoutPolicy,
        totalDeadline: Duration?,
        clock: any ResilienceClock,
        provider: String
    ) async throws {
        while true {
            let progress = state.progress.withLockedValue { $0 }
            let stageTimeout = progress.receivedFirst ? timeouts.stall : timeouts.firstByte
            let stageDeadline = stageTimeout.map { progress.lastActivity + $0 }
            let deadline: Duration
            switch (stageDeadline, totalDeadline) {
            case let (stage?, total?): deadline = min(stage, total)
            case let (stage?, nil): deadline = stage
            case let (nil, total?): deadline = total
            case (nil, nil): deadline = clock.now() + .seconds(3600)
            }
            let sleep = Task { try await clock.sleep(until: deadline) }
            state.watchdogSleep.withLockedValue { $0 = sleep }
            if state.progress.withLockedValue({ $0.receivedFirst }) != progress.receivedFirst { sleep.cancel() }
            await withTaskCancellationHandler {
                _ = await sleep.result
            } onCancel: {
                sleep.cancel()
            }
            try Task.checkCancellation()
            if let totalDeadline, clock.now() >= totalDeadline {
                throw ProviderError(.timeout(.total), provider: provider, message: "request exceeded \(timeouts.total ?? .zero) in total")
            }
            let after = state.progress.withLockedValue { $0 }
            guard let stageDeadline, after.lastActivity == progress.lastActivity, after.receivedFirst == progress.receivedFirst,
                clock.now() >= stageDeadline
            else { continue }
            if progress.receivedFirst {
                throw ProviderError(.timeout(.stall), provider: provider, message: "no output for \(timeouts.stall ?? .zero) between chunks")
            }
            throw ProviderError(.timeout(.firstByte), provider: provider, message: "no first output within \(timeouts.firstByte ?? .zero)")
        }
    }
}
