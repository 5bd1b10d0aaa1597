/// Whether the worker can take one more call, and why not.
public enum AdmissionDecision: Sendable, Hashable {
    /// Take the call.
    case accept
    /// The worker is draining for shutdown.
    case draining
    /// Every call slot is taken.
    case full(active: Int, capacity: Int)

    /// A short reason for logs, metrics and readiness bodies.
    public var reason: String {
        switch self {
        case .accept: "ok"
        case .draining: "draining"
        case .full: "full"
        }
    }
}
