/// What a call worker tells the registry about itself when it registers.
///
/// A worker is identified by ``workerID``; registering again with the same id
/// updates its stream URL, slot count, labels and TTL and refreshes its lease.
/// Registering never drops the worker's existing reservations or calls: a worker
/// that restarts with no calls should call ``CapacityRegistry/releaseAll(workerID:)``.
public struct WorkerRegistration: Sendable, Hashable {
    /// Stable id of the worker (for example its host name or pod name). Must not be empty.
    public var workerID: String
    /// Where the carrier should send a call's media stream, for example `wss://host/ws`.
    public var streamURL: String
    /// How many concurrent calls (reservations + active calls) the worker accepts. Zero or more.
    public var slots: Int
    /// Free-form labels such as `region` or `version`; reservations can require a subset.
    public var labels: [String: String]
    /// How long the registration stays valid without a heartbeat. Must be positive.
    public var ttl: Duration
    /// Whether the worker starts in drain mode (no new reservations). Registering resets
    /// the drain flag to this value.
    public var draining: Bool

    /// Creates a registration.
    /// - Parameters:
    ///   - workerID: Stable id of the worker.
    ///   - streamURL: The worker's public media-stream URL.
    ///   - slots: Number of concurrent calls the worker accepts.
    ///   - labels: Labels reservations can select on.
    ///   - ttl: Lease length; the worker must heartbeat before it lapses.
    ///   - draining: Initial drain state.
    public init(
        workerID: String,
        streamURL: String,
        slots: Int,
        labels: [String: String] = [:],
        ttl: Duration = .seconds(15),
        draining: Bool = false
    ) {
        self.workerID = workerID
        self.streamURL = streamURL
        self.slots = slots
        self.labels = labels
        self.ttl = ttl
        self.draining = draining
    }

    /// Checks the fields and throws ``CapacityError/invalidArgument(_:)`` for a bad one.
    public func validate() throws(CapacityError) {
        if workerID.isEmpty { throw .invalidArgument("workerID must not be empty") }
        if streamURL.isEmpty { throw .invalidArgument("streamURL must not be empty") }
        if slots < 0 { throw .invalidArgument("slots must be >= 0, got \(slots)") }
        if ttl <= .zero { throw .invalidArgument("ttl must be positive, got \(ttl)") }
    }
}
