/// Whether a worker is offered new reservations.
public enum WorkerState: String, Sendable, Hashable {
    /// Lease valid and not draining: new reservations may land here.
    case available
    /// Lease valid but draining: existing calls continue, no new reservations.
    case draining
    /// The lease lapsed (no heartbeat within the TTL): treated as gone, its slots are not offered.
    case expired
}
