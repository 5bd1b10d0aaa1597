import CallCapacity
import Logging
import ServiceLifecycle

/// Keeps a ``FleetMembership`` registered while the worker runs.
///
/// On start it registers the worker and frees whatever the registry still holds for it (a
/// worker that just started has no calls), then heartbeats (``WorkerLease``) and reads its
/// drain flag back at the heartbeat interval, so `/health/ready` follows an operator's drain;
/// at the same interval it retries releases that failed at call end.
/// On graceful shutdown it deregisters. Place it before the application and the drain service
/// in the `ServiceGroup` (services shut down in reverse order), so the lease stays alive while
/// calls drain and the worker leaves the registry only when its calls have ended.
public struct FleetService: Service {
    /// The membership kept alive.
    public let membership: FleetMembership
    /// Time between heartbeats and drain-flag reads; a third of the TTL by default.
    public let interval: Duration
    private let setUp: (@Sendable () async throws -> Void)?
    private let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - membership: The membership to keep alive.
    ///   - interval: Time between heartbeats; a third of the TTL by default.
    ///   - setUp: Runs once before registering, e.g. the schema migration of
    ///     ``PostgresCapacityRegistry`` (which needs its client running, so it cannot run
    ///     before the service group starts).
    ///   - logger: Logger for registry events.
    public init(
        membership: FleetMembership,
        interval: Duration? = nil,
        setUp: (@Sendable () async throws -> Void)? = nil,
        logger: Logger
    ) {
        self.membership = membership
        self.setUp = setUp
        self.interval = interval ?? membership.registration.ttl / 3
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(membership.registration.workerID)"
        self.logger = logger
    }

    /// Registers, keeps the lease until graceful shutdown, then deregisters.
    /// - Throws: ``CapacityError`` when the first registration fails (the worker should not
    ///   start believing it is in a fleet it is not in).
    public func run() async throws {
        let registry = membership.registry
        let workerID = membership.registration.workerID
        let registration = membership.registration
        let setUp = self.setUp
        let freed: Int
        do {
            // A shutdown while the database is still unreachable must not hang the worker.
            freed = try await cancelWhenGracefulShutdown {
                try await setUp?()
                try await registry.register(registration)
                return try await registry.releaseAll(workerID: workerID)
            }
        } catch where Task.isShuttingDownGracefully {
            logger.warning("shut down before joining the capacity registry", metadata: ["error": "\(error)"])
            return
        }
        membership.markRegistered()
        logger.info("registered in the capacity registry", metadata: [
            "slots": "\(membership.registration.slots)", "stream_url": "\(membership.registration.streamURL)",
            "freed_stale": "\(freed)",
        ])
        let lease = WorkerLease(registry: registry, registration: membership.registration, interval: interval, logger: logger)
        let membership = self.membership
        let interval = self.interval
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        try await lease.run()
                    } catch {
                        logger.error("capacity registry lease ended", metadata: ["error": "\(error)"])
                    }
                }
                if let claims = membership.attachClaims {
                    // `/attach` claims outlive their calls by a day, then go.
                    group.addTask {
                        while !Task.isCancelled {
                            await membership.pruneAttachClaims(claims)
                            do {
                                try await Task.sleep(for: FleetMembership.attachClaimPruneInterval)
                            } catch {
                                return
                            }
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        await membership.retryPendingReleases()
                        do throws(CapacityError) {
                            try await membership.refresh()
                        } catch .cancelled {
                            return
                        } catch {
                            FleetMembership.countError(operation: "refresh")
                            logger.warning("could not read this worker's state from the capacity registry", metadata: ["error": "\(error)"])
                        }
                        do {
                            try await Task.sleep(for: interval)
                        } catch {
                            return
                        }
                    }
                }
                await group.waitForAll()
            }
        }
        do {
            try await registry.deregister(workerID: workerID)
            logger.info("left the capacity registry")
        } catch {
            FleetMembership.countError(operation: "deregister")
            logger.error("could not deregister; the lease will lapse", metadata: ["error": "\(error)"])
        }
    }
}
