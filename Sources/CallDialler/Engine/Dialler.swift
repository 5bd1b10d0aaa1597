import CallCapacity
import Foundation
import Logging

/// Works through the campaigns' leads: reserves a slot in the ``CapacityRegistry`` (client and
/// campaign quotas), starts the attempt in PostgreSQL, waits for the account's pace, and has the
/// ``OutboundCallPlacer`` create the call with the reserved worker's stream URL and reservation
/// id. Status callbacks, worker results and lapsed reservations come back through
/// ``handleStatus(_:)``, ``handleResult(_:)`` and the sweep; every decision is
/// ``LeadMachine``'s, every change one guarded statement in ``DiallerStore``.
///
/// Run it with ``run()``; ``beginDrain()`` stops placing calls, and `run()` returns once the
/// live calls finished or ``DiallerConfiguration/drainTimeout`` passed.
public actor Dialler {
    /// One placement the loop hands to a child task.
    struct Job: Sendable {
        let campaign: Campaign
        let lead: DiallerStore.DueLead
        let reservation: Reservation
        let attempt: Int
    }

    enum Step: Sendable {
        case place(Job)
        case idle
        case stop
    }

    let store: DiallerStore
    let registry: any CapacityRegistry
    let placer: any OutboundCallPlacer
    let pacer: AccountPacer
    let configuration: DiallerConfiguration
    let logger: Logger

    var draining = false
    var statistics = DiallerStatistics()
    var campaignCache: [String: Campaign] = [:]
    private var candidates: [(Campaign, DiallerStore.DueLead)] = []
    private var placedFromBuffer = true
    private var blockedCampaigns = Set<String>()
    private var blockedClients = Set<String>()
    private var wakePending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var timer: Task<Void, Never>?
    private var lastSweep = ContinuousClock.now
    private var lookWaiters: [CheckedContinuation<Void, Never>] = []
    var finishWaiters: [String: [Int: CheckedContinuation<Void, Never>]] = [:]
    var nextWaiterID = 0

    /// Creates a dialler.
    public init(
        store: DiallerStore, registry: any CapacityRegistry, placer: any OutboundCallPlacer,
        pacer: AccountPacer, configuration: DiallerConfiguration, logger: Logger
    ) {
        self.store = store
        self.registry = registry
        self.placer = placer
        self.pacer = pacer
        self.configuration = configuration
        self.logger = logger
    }

    /// What the dialler did so far.
    public var currentStatistics: DiallerStatistics { statistics }

    /// Whether ``beginDrain()`` was called.
    public var isDraining: Bool { draining }

    /// Stops placing new calls; live calls go on and their callbacks and results are recorded.
    public func beginDrain() {
        guard !draining else { return }
        draining = true
        logger.info("dialler draining: no new calls")
        wake()
    }

    /// Looks for work at once (a campaign was resumed, leads were imported).
    public func wake() {
        if let waiter {
            self.waiter = nil
            timer?.cancel()
            waiter.resume()
        } else {
            wakePending = true
        }
    }

    /// Places calls until drained (or cancelled), then waits for the live calls, bounded.
    public nonisolated func run() async {
        await withDiscardingTaskGroup { group in
            while true {
                let step = await self.nextStep()
                switch step {
                case .place(let job):
                    group.addTask { await self.place(job) }
                case .idle:
                    await self.idle()
                case .stop:
                    return
                }
                await self.sweepIfDue()
            }
        }
        await finishDrain()
    }

    // MARK: The loop

    func nextStep() async -> Step {
        while true {
            if draining || Task.isCancelled { return .stop }
            if candidates.isEmpty {
                guard placedFromBuffer else {
                    resetBuffer()
                    return .idle
                }
                do {
                    try await refill()
                } catch {
                    logger.error("could not read due leads", metadata: ["error": "\(error)"])
                    return .idle
                }
                if candidates.isEmpty { return .idle }
            }
            let (campaign, lead) = candidates.removeFirst()
            if blockedCampaigns.contains(campaign.id) || blockedClients.contains(campaign.clientID) { continue }
            let outcome: ReservationOutcome
            do {
                outcome = try await registry.reserve(ReservationRequest(
                    clientID: campaign.clientID, campaignID: campaign.id, requiredLabels: configuration.requiredLabels,
                    hold: configuration.hold))
            } catch {
                logger.error("capacity registry refused to answer", metadata: ["error": "\(error)"])
                resetBuffer()
                return .idle
            }
            switch outcome {
            case .noCapacity(let reason):
                statistics.countRefusal(Self.label(reason))
                switch reason {
                case .campaignQuotaReached: blockedCampaigns.insert(campaign.id)
                case .clientQuotaReached: blockedClients.insert(campaign.clientID)
                case .allSlotsBusy, .noEligibleWorker:
                    resetBuffer()
                    return .idle
                }
            case .reserved(let reservation):
                if let job = await begin(campaign: campaign, lead: lead, reservation: reservation) {
                    placedFromBuffer = true
                    return .place(job)
                }
            }
        }
    }

    private func begin(campaign: Campaign, lead: DiallerStore.DueLead, reservation: Reservation) async -> Job? {
        let attempt: Int?
        do {
            attempt = try await store.beginAttempt(
                campaignID: campaign.id, leadID: lead.leadID, attempts: lead.attempts, reservationID: reservation.id,
                holdExpiresAt: reservation.expiresAt, workerID: reservation.workerID)
        } catch {
            logger.error("could not start an attempt", metadata: ["lead_id": "\(lead.leadID)", "error": "\(error)"])
            attempt = nil
        }
        guard let attempt else {
            await releaseQuietly(reservation.id)
            return nil
        }
        var paced = true
        do {
            try await pacer.acquire(account: campaign.account)
        } catch {
            paced = false
        }
        // Cancelled while waiting for the pace, or a drain began meanwhile: no new call. The
        // attempt goes back, uncounted, and the slot is released.
        guard paced, !draining else {
            _ = try? await store.retry(reservationID: reservation.id, after: .zero, countAttempt: false, status: "cancelled")
            await releaseQuietly(reservation.id)
            return nil
        }
        return Job(campaign: campaign, lead: lead, reservation: reservation, attempt: attempt)
    }

    private func refill() async throws(DiallerError) {
        resetBuffer()
        placedFromBuffer = false
        let now = Date()
        let campaigns = try await store.campaigns()
        campaignCache = Dictionary(uniqueKeysWithValues: campaigns.map { ($0.id, $0) })
        var perCampaign: [[(Campaign, DiallerStore.DueLead)]] = []
        for campaign in campaigns where !campaign.paused && campaign.window.contains(now) {
            let due = try await store.dueLeads(campaignID: campaign.id, limit: configuration.batchSize)
            if !due.isEmpty { perCampaign.append(due.map { (campaign, $0) }) }
        }
        defer {
            let waiters = lookWaiters
            lookWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
        }
        // Interleave campaigns; each keeps its own priority order.
        var index = 0
        while perCampaign.contains(where: { index < $0.count }) {
            for list in perCampaign where index < list.count { candidates.append(list[index]) }
            index += 1
        }
    }

    /// Returns after the next complete read of every campaign's due leads (for tests and tools
    /// that need to know the dialler has looked, e.g. at a paused campaign).
    public func waitForNextLook() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lookWaiters.append(continuation)
            wake()
        }
    }

    private func resetBuffer() {
        candidates.removeAll()
        blockedCampaigns.removeAll()
        blockedClients.removeAll()
    }

    func idle() async {
        if wakePending {
            wakePending = false
            placedFromBuffer = true
            return
        }
        let interval = configuration.idleInterval
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiter = continuation
            timer = Task { [weak self] in
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await self?.timerFired()
            }
        }
        placedFromBuffer = true
    }

    private func timerFired() {
        guard let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }

    func sweepIfDue() async {
        guard ContinuousClock.now - lastSweep >= configuration.sweepInterval else { return }
        lastSweep = ContinuousClock.now
        await sweep()
    }

    private func finishDrain() async {
        let deadline = ContinuousClock.now + configuration.drainTimeout
        while ContinuousClock.now < deadline {
            let live = (try? await store.dialingCount()) ?? 0
            if live == 0 {
                logger.info("dialler drained: no live calls")
                return
            }
            await sweep()
            try? await Task.sleep(for: configuration.idleInterval)
        }
        let live = (try? await store.dialingCount()) ?? -1
        logger.warning("drain timeout: calls still live", metadata: ["live": "\(live)"])
    }

    static func label(_ reason: NoCapacityReason) -> String {
        switch reason {
        case .noEligibleWorker: "no_eligible_worker"
        case .allSlotsBusy: "all_slots_busy"
        case .clientQuotaReached: "client_quota"
        case .campaignQuotaReached: "campaign_quota"
        }
    }

    func releaseQuietly(_ reservationID: UUID) async {
        do {
            _ = try await registry.release(reservationID: reservationID)
        } catch {
            logger.warning("could not release a reservation; its hold lapses by itself", metadata: [
                "reservation_id": "\(reservationID)", "error": "\(error)",
            ])
        }
    }
}
