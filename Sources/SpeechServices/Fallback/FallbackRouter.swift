import Logging
import Metrics
import NIOConcurrencyHelpers

/// Shared logic of the fallback wrappers: which providers to try in which order, when to
/// start a background probe of an open provider, and how to report who served.
final class FallbackRouter: Sendable {
    let descriptors: [ProviderDescriptor]
    private let breakers: [(any CircuitBreakerProviding)?]
    private let probeTasks = NIOLockedValueBox<[Int: Task<Void, Never>]>([:])
    private let logger: Logger

    init(descriptors: [ProviderDescriptor], breakers: [(any CircuitBreakerProviding)?], logger: Logger) {
        self.descriptors = descriptors
        self.breakers = breakers
        self.logger = logger
    }

    /// Indices of providers to try now, in order. Providers whose circuit is not closed are
    /// skipped; if one is due for a probe, a background probe starts.
    func candidates(context: ProviderCallContext) -> [Int] {
        var result: [Int] = []
        for index in descriptors.indices {
            guard let guarded = breakers[index] else {
                result.append(index)
                continue
            }
            let breaker = guarded.circuitBreaker
            if breaker.state == .closed {
                result.append(index)
                continue
            }
            if breaker.acquireProbeIfDue() {
                startProbe(index: index, provider: guarded, context: context)
            }
        }
        return result
    }

    private func startProbe(index: Int, provider: any CircuitBreakerProviding, context: ProviderCallContext) {
        var probeLogger = logger
        probeLogger[metadataKey: "provider"] = "\(descriptors[index])"
        let descriptor = descriptors[index]
        probeLogger.info("starting background probe")
        var probeContext = context
        probeContext.onServed = nil
        let task = Task {
            let healthy = await provider.probe(context: probeContext)
            probeLogger.log(level: healthy ? .info : .warning, "background probe finished", metadata: ["healthy": "\(healthy)"])
            Counter(
                label: "speech_provider_probes_total",
                dimensions: [("provider", descriptor.name), ("model", descriptor.model), ("outcome", healthy ? "ok" : "failed")]
            ).increment()
        }
        let previous = probeTasks.withLockedValue { tasks in
            let previous = tasks[index]
            tasks[index] = task
            return previous
        }
        _ = previous
    }

    /// Waits until every background probe started so far has finished.
    func waitForProbes() async {
        let tasks = probeTasks.withLockedValue { Array($0.values) }
        for task in tasks { await task.value }
    }

    /// Whether a failure of the provider at some position should move on to the next one.
    func shouldFallBack(after error: ProviderError, handedOutput: Bool) -> Bool {
        guard !handedOutput else { return false }
        // A rate-limited provider does not count against its breaker, but another provider may still answer.
        return error.kind.countsAsProviderFailure || error.kind == .circuitOpen || error.kind == .rateLimited
    }

    /// Records and reports that the provider at `index` served the request.
    func reportServed(index: Int, context: ProviderCallContext, operation: String) {
        let descriptor = descriptors[index]
        Counter(
            label: "speech_provider_fallback_served_total",
            dimensions: [("provider", descriptor.name), ("model", descriptor.model), ("operation", operation), ("position", "\(index)")]
        ).increment()
        if index > 0 {
            context.logger.info("served by fallback provider", metadata: ["provider": "\(descriptor)", "position": "\(index)"])
        }
        context.onServed?(descriptor)
    }

    /// The error thrown when no provider could be tried or all failed.
    func exhausted(lastError: ProviderError?, operation: String) -> ProviderError {
        if let lastError { return lastError }
        return ProviderError(
            .circuitOpen,
            provider: descriptors.map(\.name).joined(separator: ","),
            message: "all \(operation) providers are unavailable (circuits open)"
        )
    }
}
