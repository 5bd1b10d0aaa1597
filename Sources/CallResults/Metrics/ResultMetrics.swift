import Metrics

/// The counters of the result pipeline (swift-metrics, so they surface wherever the process
/// bootstrapped metrics, e.g. Prometheus at `/metrics`).
public enum ResultMetrics {
    /// `results_lost_total`: results that neither reached durable storage nor the receiver.
    public static let lost = "results_lost_total"
    /// `spool_errors_total{operation}`: failed outbox operations (write, read, remove, ...).
    public static let spoolErrors = "spool_errors_total"
    /// `results_dead_lettered_total{reason}`: entries moved to `dead-letter/`.
    public static let deadLettered = "results_dead_lettered_total"
    /// `results_delivered_total`: results the receiver acknowledged with a 2xx.
    public static let delivered = "results_delivered_total"

    static func countLost() {
        Counter(label: lost).increment()
    }

    static func countSpoolError(operation: String) {
        Counter(label: spoolErrors, dimensions: [("operation", operation)]).increment()
    }

    static func countDeadLettered(reason: String) {
        Counter(label: deadLettered, dimensions: [("reason", reason)]).increment()
    }

    static func countDelivered() {
        Counter(label: delivered).increment()
    }
}
