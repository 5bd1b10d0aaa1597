import Logging
import Metrics
import NIOConcurrencyHelpers

/// A circuit breaker for one provider: closed → open after N consecutive provider-side
/// failures → half-open after the open period, admitting a single probe → closed on success
/// or open again on failure.
///
/// Thread-safe and cheap (one lock, no allocation per call). Time comes from an injected
/// ``ResilienceClock``, so tests drive it without sleeping. Every transition is logged and
/// published as the gauge `speech_provider_circuit_state` (0 closed, 1 half-open, 2 open)
/// and the counter `speech_provider_circuit_transitions_total`.
public final class CircuitBreaker: Sendable {
    /// The breaker's state.
    public enum State: String, Sendable, Equatable {
        /// Requests flow; failures are counted.
        case closed
        /// Requests are rejected until the open period ends.
        case open
        /// One probe request is in flight or allowed; others are rejected.
        case halfOpen = "half_open"

        var gaugeValue: Double {
            switch self {
            case .closed: return 0
            case .halfOpen: return 1
            case .open: return 2
            }
        }
    }

    /// What the breaker allows for one request.
    public enum Admission: Sendable, Equatable {
        /// A normal request in the closed state.
        case allowed
        /// The single probe in the half-open state. Report its outcome like any other request.
        case probe
        /// Rejected; the circuit is open (or a probe is already running).
        case rejected
    }

    private struct Storage {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: Duration = .zero
        var probeInFlight = false
    }

    /// The provider this breaker protects.
    public let descriptor: ProviderDescriptor
    /// Thresholds.
    public let configuration: CircuitBreakerConfiguration
    private let clock: any ResilienceClock
    private let storage = NIOLockedValueBox(Storage())
    private let logger: Logger
    private let stateGauge: Gauge
    private let onStateChange: (@Sendable (State) -> Void)?

    /// Creates a closed breaker.
    /// - Parameter onStateChange: called (outside the lock) after every transition.
    public init(
        descriptor: ProviderDescriptor,
        configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(),
        clock: any ResilienceClock = SystemResilienceClock(),
        logger: Logger = Logger(label: "speech-services.circuit-breaker"),
        onStateChange: (@Sendable (State) -> Void)? = nil
    ) {
        self.descriptor = descriptor
        self.configuration = configuration
        self.clock = clock
        var logger = logger
        logger[metadataKey: "provider"] = "\(descriptor.name)"
        logger[metadataKey: "model"] = "\(descriptor.model)"
        self.logger = logger
        self.onStateChange = onStateChange
        stateGauge = Gauge(
            label: "speech_provider_circuit_state",
            dimensions: [("provider", descriptor.name), ("model", descriptor.model)]
        )
        stateGauge.record(State.closed.gaugeValue)
    }

    /// The current state. An open circuit whose open period has passed reports `halfOpen`
    /// (the next request becomes the probe).
    public var state: State {
        let now = clock.now()
        return storage.withLockedValue { storage in
            if storage.state == .open, now - storage.openedAt >= configuration.openDuration { return .halfOpen }
            return storage.state
        }
    }

    /// Asks whether a request may go to the provider. Every admitted request must be
    /// followed by exactly one `record…` call.
    public func acquire() -> Admission {
        let now = clock.now()
        let (admission, transition) = storage.withLockedValue { storage -> (Admission, State?) in
            switch storage.state {
            case .closed:
                return (.allowed, nil)
            case .open:
                guard now - storage.openedAt >= configuration.openDuration else { return (.rejected, nil) }
                storage.state = .halfOpen
                storage.probeInFlight = true
                return (.probe, .halfOpen)
            case .halfOpen:
                if storage.probeInFlight { return (.rejected, nil) }
                storage.probeInFlight = true
                return (.probe, nil)
            }
        }
        if let transition { didTransition(to: transition, reason: "open period elapsed") }
        return admission
    }

    /// Admits a probe only if the circuit is open and due for one (used by fallback groups
    /// to probe in the background). Returns false otherwise, including when closed.
    public func acquireProbeIfDue() -> Bool {
        let now = clock.now()
        let acquired = storage.withLockedValue { storage -> Bool in
            switch storage.state {
            case .closed:
                return false
            case .open:
                guard now - storage.openedAt >= configuration.openDuration else { return false }
                storage.state = .halfOpen
                storage.probeInFlight = true
                return true
            case .halfOpen:
                if storage.probeInFlight { return false }
                storage.probeInFlight = true
                return true
            }
        }
        if acquired { didTransition(to: .halfOpen, reason: "background probe") }
        return acquired
    }

    /// Records a successful request.
    public func recordSuccess() {
        let transition = storage.withLockedValue { storage -> State? in
            storage.consecutiveFailures = 0
            storage.probeInFlight = false
            guard storage.state != .closed else { return nil }
            storage.state = .closed
            return .closed
        }
        if let transition { didTransition(to: transition, reason: "probe succeeded") }
    }

    /// Records a failed request. Failures that do not count as provider failures
    /// (cancellation, invalid requests) only release a probe slot.
    public func recordFailure(_ kind: ProviderError.Kind) {
        guard kind.countsAsProviderFailure else {
            storage.withLockedValue { $0.probeInFlight = false }
            return
        }
        let now = clock.now()
        let transition = storage.withLockedValue { storage -> State? in
            storage.consecutiveFailures += 1
            switch storage.state {
            case .closed:
                guard storage.consecutiveFailures >= configuration.failureThreshold else { return nil }
            case .halfOpen:
                break
            case .open:
                return nil
            }
            storage.state = .open
            storage.openedAt = now
            storage.probeInFlight = false
            return .open
        }
        if let transition { didTransition(to: transition, reason: "provider failure: \(kind.label)") }
    }

    /// Consecutive provider-side failures counted so far.
    public var consecutiveFailures: Int {
        storage.withLockedValue { $0.consecutiveFailures }
    }

    private func didTransition(to state: State, reason: String) {
        stateGauge.record(state.gaugeValue)
        Counter(
            label: "speech_provider_circuit_transitions_total",
            dimensions: [("provider", descriptor.name), ("model", descriptor.model), ("to", state.rawValue)]
        ).increment()
        let level: Logger.Level = state == .closed ? .info : .warning
        logger.log(level: level, "circuit breaker \(state.rawValue)", metadata: ["circuit_state": "\(state.rawValue)", "reason": "\(reason)"])
        onStateChange?(state)
    }
}
