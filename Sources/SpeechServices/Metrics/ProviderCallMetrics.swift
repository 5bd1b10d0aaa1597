import Metrics

/// Records swift-metrics for one provider attempt: time to first output, duration,
/// units (bytes, tokens, characters) and outcome with error kind.
///
/// Metric names (dimensions `provider`, `model`, `operation`):
/// - `speech_provider_ttfb_seconds` (timer)
/// - `speech_provider_duration_seconds` (timer, plus `outcome`)
/// - `speech_provider_requests_total` (counter, plus `outcome`: `ok` or an error kind label)
/// - `speech_provider_units_total` (counter, plus `unit`)
public struct ProviderCallMetrics: Sendable {
    /// The provider's descriptor.
    public let descriptor: ProviderDescriptor
    /// `stt`, `llm` or `tts`.
    public let operation: String
    /// What ``recordUnits(_:)`` counts: `bytes`, `tokens`, `characters`…
    public let unit: String
    private let clock: any ResilienceClock
    private let start: Duration

    /// Starts measuring an attempt now.
    public init(descriptor: ProviderDescriptor, operation: String, unit: String, clock: any ResilienceClock) {
        self.descriptor = descriptor
        self.operation = operation
        self.unit = unit
        self.clock = clock
        self.start = clock.now()
    }

    private var baseDimensions: [(String, String)] {
        [("provider", descriptor.name), ("model", descriptor.model), ("operation", operation)]
    }

    /// Records the time to first output (call once, when it arrives).
    public func recordFirstOutput() {
        Timer(label: "speech_provider_ttfb_seconds", dimensions: baseDimensions)
            .recordNanoseconds(NetworkNumber.saturatingInt64(max(0, (clock.now() - start).seconds * 1e9)))
    }

    /// Adds units of output or input.
    public func recordUnits(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "speech_provider_units_total", dimensions: baseDimensions + [("unit", unit)]).increment(by: count)
    }

    /// Records the end of the attempt: `nil` error means success.
    public func recordOutcome(_ error: ProviderError?) {
        let outcome = error?.kind.label ?? "ok"
        let dimensions = baseDimensions + [("outcome", outcome)]
        Timer(label: "speech_provider_duration_seconds", dimensions: dimensions)
            .recordNanoseconds(NetworkNumber.saturatingInt64(max(0, (clock.now() - start).seconds * 1e9)))
        Counter(label: "speech_provider_requests_total", dimensions: dimensions).increment()
    }
}
