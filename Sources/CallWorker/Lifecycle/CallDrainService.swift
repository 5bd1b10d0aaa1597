import CallEngine
import Logging
import ServiceLifecycle

/// Drains the worker on graceful shutdown (SIGTERM/SIGINT in the executable).
///
/// When shutdown begins: readiness turns 503 and new calls are refused at once; active calls
/// continue for up to `drainTimeout`; calls still running then are ended politely (goodbye
/// line, hang-up, reason ``CallEndReason/drain``) and, if they outlast `hardStopGrace`, ended at
/// once. With a fleet registry the worker is marked draining there too, so diallers stop
/// reserving its slots. The service returns when every call's handler has finished, which includes
/// delivering (or spooling) its result. Place it after the application in the
/// `ServiceGroup` so it is shut down first.
public struct CallDrainService: Service {
    /// The worker's call slots.
    public let registry: CallRegistry
    /// How long active calls may continue.
    public let drainTimeout: Duration
    /// How long a politely ended call may take (goodbye playback) before it is ended at once.
    public let hardStopGrace: Duration
    /// The fleet registry membership, marked draining when the drain begins.
    public let fleet: FleetMembership?
    private let logger: Logger

    /// Creates the service.
    public init(
        registry: CallRegistry,
        drainTimeout: Duration,
        hardStopGrace: Duration = .seconds(10),
        fleet: FleetMembership? = nil,
        logger: Logger
    ) {
        self.registry = registry
        self.fleet = fleet
        self.drainTimeout = drainTimeout
        self.hardStopGrace = hardStopGrace
        self.logger = logger
    }

    /// Waits for graceful shutdown, then drains.
    public func run() async throws {
        // Returns when graceful shutdown starts; throws when the group is cancelled.
        try await gracefulShutdown()
        registry.beginDraining()
        await fleet?.beginDraining()
        logger.info("draining: refusing new calls", metadata: [
            "active_calls": "\(registry.activeCount)", "drain_timeout_s": "\(drainTimeout.components.seconds)",
        ])
        if await waitForCalls(upTo: drainTimeout) {
            logger.info("drain complete: no active calls")
            return
        }
        let remaining = registry.conversations()
        logger.warning("drain timeout reached; ending active calls", metadata: ["calls": "\(remaining.count)"])
        for conversation in remaining {
            await conversation.endPolitely(reason: .drain)
        }
        if await waitForCalls(upTo: hardStopGrace) {
            logger.info("drain complete")
            return
        }
        for conversation in registry.conversations() {
            await conversation.endNow(reason: .drain)
        }
        _ = await waitForCalls(upTo: hardStopGrace)
        logger.info("drain finished", metadata: ["active_calls": "\(registry.activeCount)"])
    }

    /// Whether every call finished within `limit`.
    private func waitForCalls(upTo limit: Duration) async -> Bool {
        let registry = self.registry
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await registry.waitUntilEmpty()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
