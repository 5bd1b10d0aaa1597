import CallEngine
import Logging
import ServiceLifecycle

/// Drains the worker on graceful shutdown (SIGTERM/SIGINT in the executable), within one
/// ``DrainBudget``.
///
/// When shutdown begins: readiness turns 503 and new calls are refused at once; active calls
/// continue for up to ``DrainBudget/callWait``; calls still running then are ended politely
/// (goodbye line, hang-up, reason ``CallEndReason/drain``) and, if they outlast
/// ``DrainBudget/goodbye``, ended at once; ``DrainBudget/forceEnd`` is left for their
/// end-of-call work (durable result first, then the registry release and a delivery attempt).
/// With a fleet registry the worker is marked draining there too, so diallers stop reserving
/// its slots. The service returns when every call's handler has finished or the budget is
/// spent. Place it after the application in the `ServiceGroup` so it is shut down first.
public struct CallDrainService: Service {
    /// The worker's call slots.
    public let registry: CallRegistry
    /// The whole drain and its split.
    public let budget: DrainBudget
    /// The fleet registry membership, marked draining when the drain begins.
    public let fleet: FleetMembership?
    private let logger: Logger

    /// Creates the service.
    public init(registry: CallRegistry, budget: DrainBudget, fleet: FleetMembership? = nil, logger: Logger) {
        self.registry = registry
        self.fleet = fleet
        self.budget = budget
        self.logger = logger
    }

    /// Waits for graceful shutdown, then drains.
    public func run() async throws {
        // Returns when graceful shutdown starts; throws when the group is cancelled.
        try await gracefulShutdown()
        registry.beginDraining()
        logger.info("draining: refusing new calls", metadata: [
            "active_calls": "\(registry.activeCount)", "drain_budget": "\(budget)",
        ])
        // Marking the worker draining in the registry is bounded (a hung database must not eat
        // the calls' time) and runs beside the wait.
        let deadline = ContinuousClock.now + budget.total
        let fleet = self.fleet
        let marking = Task { if let fleet { await fleet.beginDraining() } }
        await phases()
        // Let the registry's drain mark land (it is bounded), within the budget.
        _ = await FleetMembership.finishes(marking, within: max(.zero, deadline - .now))
    }

    private func phases() async {
        if await waitForCalls(upTo: budget.callWait) {
            logger.info("drain complete: no active calls")
            return
        }
        let remaining = registry.conversations()
        logger.warning("drain: call time spent; ending active calls with the goodbye", metadata: ["calls": "\(remaining.count)"])
        for conversation in remaining {
            await conversation.endPolitely(reason: .drain)
        }
        if await waitForCalls(upTo: budget.goodbye) {
            logger.info("drain complete")
            return
        }
        for conversation in registry.conversations() {
            await conversation.endNow(reason: .drain)
        }
        _ = await waitForCalls(upTo: budget.forceEnd)
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
