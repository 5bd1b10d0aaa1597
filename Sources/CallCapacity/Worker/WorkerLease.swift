import Logging

/// Keeps one worker registered: registers it, then heartbeats at a fixed interval until the
/// task running ``run()`` is cancelled.
///
/// A failed heartbeat is logged and retried at the next tick (a database blip must not stop a
/// worker); a worker the registry no longer knows (``CapacityError/workerNotFound(workerID:)``,
/// for example after ``CapacityRegistry/removeExpiredWorkers(gracePeriod:)``) is registered again.
/// Cancellation ends ``run()`` without deregistering: a shutting-down worker drains first
/// (``CapacityRegistry/drain(workerID:)``) and deregisters when its calls have ended.
public struct WorkerLease: Sendable {
    /// Waits for the next tick; `Task.sleep(for:)` unless a test injects its own.
    public typealias Sleep = @Sendable (Duration) async throws -> Void

    private let registry: any CapacityRegistry
    private let registration: WorkerRegistration
    private let interval: Duration
    private let sleep: Sleep
    private let logger: Logger

    /// Creates a lease keeper.
    /// - Parameters:
    ///   - registry: The registry to register with.
    ///   - registration: The worker's registration; its `ttl` is the lease length.
    ///   - interval: Time between heartbeats; a third of the TTL by default, so two heartbeats
    ///     can be lost before the lease lapses.
    ///   - logger: Logger for lease events.
    ///   - sleep: How to wait between heartbeats (inject in tests).
    public init(
        registry: any CapacityRegistry,
        registration: WorkerRegistration,
        interval: Duration? = nil,
        logger: Logger,
        sleep: @escaping Sleep = { try await Task.sleep(for: $0) }
    ) {
        self.registry = registry
        self.registration = registration
        self.interval = interval ?? registration.ttl / 3
        self.sleep = sleep
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(registration.workerID)"
        self.logger = logger
    }

    /// Registers (throws if the registration itself is invalid or the first attempt fails), then
    /// heartbeats until cancelled.
    public func run() async throws(CapacityError) {
        try await registry.register(registration)
        while !Task.isCancelled {
            do {
                try await sleep(interval)
            } catch {
                return
            }
            do {
                try await registry.heartbeat(workerID: registration.workerID)
            } catch .workerNotFound {
                logger.warning("registry forgot this worker; registering again")
                do {
                    try await registry.register(registration)
                } catch {
                    logger.error("re-registration failed", metadata: ["error": "\(error)"])
                }
            } catch .cancelled {
                return
            } catch {
                logger.error("heartbeat failed; retrying at the next tick", metadata: ["error": "\(error)"])
            }
        }
    }
}
