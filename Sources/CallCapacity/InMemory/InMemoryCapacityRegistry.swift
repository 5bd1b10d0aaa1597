import Foundation
import Logging

/// A single-process ``CapacityRegistry``: one actor holds the whole fleet.
///
/// Use it for a single host (a worker fleet of one, or a dialler and its workers in one
/// process) and in tests. Atomicity comes from actor isolation: every method runs to
/// completion without a suspension point, so a reservation's quota checks and slot choice
/// see one consistent state. Time comes from the injected ``RegistryClock``.
///
/// Slot choice matches ``PostgresCapacityRegistry``: the lowest free slot index first, then
/// the worker id, which spreads calls over workers; only when no slot is free, the unconfirmed
/// hold that expired first is taken over.
public actor InMemoryCapacityRegistry: CapacityRegistry {
    private enum SlotState {
        case free
        case reserved(Holder, expiresAt: Date)
        case active(Holder)
    }

    private struct Holder {
        var reservationID: UUID
        var clientID: String
        var campaignID: String?
        var callSID: String?
    }

    private struct WorkerRecord {
        var registration: WorkerRegistration
        var draining: Bool
        var leaseExpiresAt: Date
        var slots: [SlotState]
    }

    private let clock: any RegistryClock
    private let logger: Logger
    private var workerRecords: [String: WorkerRecord] = [:]
    /// Reservation id -> (worker, slot). Entries of expired holds stay until the slot is reused,
    /// so that a late confirm can say "expired" rather than "not found".
    private var index: [UUID: (workerID: String, slot: Int)] = [:]
    private var quotaLimits: [QuotaScope: Int] = [:]

    /// Creates an empty registry.
    /// - Parameters:
    ///   - clock: Where the registry reads the time; ``SystemRegistryClock`` by default.
    ///   - logger: Logger for registry events.
    public init(clock: any RegistryClock = SystemRegistryClock(), logger: Logger = Logger(label: "call-capacity.memory")) {
        self.clock = clock
        self.logger = logger
    }

    // MARK: Workers

    /// See ``CapacityRegistry/register(_:)``.
    @discardableResult
    public func register(_ registration: WorkerRegistration) throws(CapacityError) -> Date {
        try registration.validate()
        let now = clock.now()
        let expires = now.addingTimeInterval(registration.ttl.timeInterval)
        var record = workerRecords[registration.workerID]
            ?? WorkerRecord(registration: registration, draining: registration.draining, leaseExpiresAt: expires, slots: [])
        record.registration = registration
        record.draining = registration.draining
        record.leaseExpiresAt = expires
        if record.slots.count < registration.slots {
            record.slots.append(contentsOf: repeatElement(.free, count: registration.slots - record.slots.count))
        }
        workerRecords[registration.workerID] = record
        logger.info("worker registered", metadata: [
            "worker_id": "\(registration.workerID)", "slots": "\(registration.slots)",
            "stream_url": "\(registration.streamURL)",
        ])
        return expires
    }

    /// See ``CapacityRegistry/heartbeat(workerID:)``.
    @discardableResult
    public func heartbeat(workerID: String) throws(CapacityError) -> Date {
        guard var record = workerRecords[workerID] else { throw .workerNotFound(workerID: workerID) }
        let expires = clock.now().addingTimeInterval(record.registration.ttl.timeInterval)
        record.leaseExpiresAt = expires
        workerRecords[workerID] = record
        return expires
    }

    /// See ``CapacityRegistry/deregister(workerID:)``.
    @discardableResult
    public func deregister(workerID: String) -> Bool {
        guard let record = workerRecords.removeValue(forKey: workerID) else { return false }
        dropIndexEntries(of: record)
        logger.info("worker deregistered", metadata: ["worker_id": "\(workerID)"])
        return true
    }

    /// See ``CapacityRegistry/releaseAll(workerID:)``.
    @discardableResult
    public func releaseAll(workerID: String) throws(CapacityError) -> Int {
        guard var record = workerRecords[workerID] else { throw .workerNotFound(workerID: workerID) }
        let now = clock.now()
        let live = record.slots.filter { Self.isLive($0, now: now) }.count
        dropIndexEntries(of: record)
        record.slots = Array(repeating: .free, count: record.slots.count)
        workerRecords[workerID] = record
        logger.info("released all calls of worker", metadata: ["worker_id": "\(workerID)", "freed": "\(live)"])
        return live
    }

    /// See ``CapacityRegistry/setDraining(workerID:_:)``.
    public func setDraining(workerID: String, _ draining: Bool) throws(CapacityError) {
        guard workerRecords[workerID] != nil else { throw .workerNotFound(workerID: workerID) }
        workerRecords[workerID]?.draining = draining
        logger.info(draining ? "worker draining" : "worker undrained", metadata: ["worker_id": "\(workerID)"])
    }

    /// See ``CapacityRegistry/removeExpiredWorkers(gracePeriod:)``.
    @discardableResult
    public func removeExpiredWorkers(gracePeriod: Duration) -> [String] {
        let cutoff = clock.now().addingTimeInterval(-gracePeriod.timeInterval)
        let gone = workerRecords.values.filter { $0.leaseExpiresAt < cutoff }.map(\.registration.workerID).sorted()
        for id in gone { deregister(workerID: id) }
        return gone
    }

    // MARK: Reservations

    /// See ``CapacityRegistry/reserve(_:)``.
    public func reserve(_ request: ReservationRequest) throws(CapacityError) -> ReservationOutcome {
        try request.validate()
        let now = clock.now()
        var log = logger
        log[metadataKey: "client_id"] = "\(request.clientID)"
        if let callSID = request.callSID { log[metadataKey: "call_sid"] = "\(callSID)" }

        if let limit = quotaLimits[.client(request.clientID)],
           liveCount(now: now, where: { $0.clientID == request.clientID }) >= limit {
            log.info("reservation refused", metadata: ["reason": "client_quota_reached"])
            return .noCapacity(.clientQuotaReached(clientID: request.clientID, limit: limit))
        }
        if let campaignID = request.campaignID, let limit = quotaLimits[.campaign(campaignID)],
           liveCount(now: now, where: { $0.campaignID == campaignID }) >= limit {
            log.info("reservation refused", metadata: ["reason": "campaign_quota_reached"])
            return .noCapacity(.campaignQuotaReached(campaignID: campaignID, limit: limit))
        }

        let eligible = workerRecords.values
            .filter { record in
                !record.draining && record.leaseExpiresAt > now && record.registration.slots > 0
                    && request.requiredLabels.allSatisfy { record.registration.labels[$0.key] == $0.value }
            }
            .sorted { $0.registration.workerID < $1.registration.workerID }
        guard !eligible.isEmpty else {
            log.info("reservation refused", metadata: ["reason": "no_eligible_worker"])
            return .noCapacity(.noEligibleWorker)
        }
        guard let (workerID, slot) = Self.pickFree(eligible) ?? Self.pickExpired(eligible, now: now) else {
            log.info("reservation refused", metadata: ["reason": "all_slots_busy"])
            return .noCapacity(.allSlotsBusy)
        }
        if case .reserved(let old, _) = workerRecords[workerID]?.slots[slot] { index[old.reservationID] = nil }
        let id = UUID()
        let expires = now.addingTimeInterval(request.hold.timeInterval)
        let holder = Holder(reservationID: id, clientID: request.clientID, campaignID: request.campaignID, callSID: request.callSID)
        workerRecords[workerID]?.slots[slot] = .reserved(holder, expiresAt: expires)
        index[id] = (workerID, slot)
        log.debug("slot reserved", metadata: ["reservation_id": "\(id)", "worker_id": "\(workerID)", "slot": "\(slot)"])
        return .reserved(Reservation(
            id: id, workerID: workerID, streamURL: workerRecords[workerID]?.registration.streamURL ?? "", slot: slot,
            clientID: request.clientID, campaignID: request.campaignID, expiresAt: expires
        ))
    }

    /// The lowest free slot index over all eligible workers, ties broken by worker id
    /// (`eligible` is sorted by id), which spreads calls over the fleet.
    private static func pickFree(_ eligible: [WorkerRecord]) -> (String, Int)? {
        let maxSlots = eligible.map(\.registration.slots).max() ?? 0
        for slot in 0..<maxSlots {
            for record in eligible where slot < record.registration.slots {
                if case .free = record.slots[slot] { return (record.registration.workerID, slot) }
            }
        }
        return nil
    }

    /// The unconfirmed hold that expired first, when no slot is free.
    private static func pickExpired(_ eligible: [WorkerRecord], now: Date) -> (String, Int)? {
        var best: (String, Int, Date)?
        for record in eligible {
            for slot in 0..<min(record.registration.slots, record.slots.count) {
                if case .reserved(_, let expiresAt) = record.slots[slot], expiresAt <= now,
                   best.map({ expiresAt < $0.2 }) ?? true {
                    best = (record.registration.workerID, slot, expiresAt)
                }
            }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// See ``CapacityRegistry/claim(workerID:callSID:clientID:campaignID:)``.
    ///
    /// Declared `async` (it never suspends) so that a direct call on the actor picks this method
    /// over the protocol extension's default.
    public func claim(workerID: String, callSID: String, clientID: String, campaignID: String?) async throws(CapacityError) -> ClaimOutcome {
        try Self.validateClaim(workerID: workerID, callSID: callSID, clientID: clientID, campaignID: campaignID)
        guard let record = workerRecords[workerID] else { throw .workerNotFound(workerID: workerID) }
        let now = clock.now()
        let count = min(record.registration.slots, record.slots.count)
        for slot in 0..<count {
            if case .active(let holder) = record.slots[slot], holder.callSID == callSID {
                return .claimed(ActiveCall(reservationID: holder.reservationID, workerID: workerID, slot: slot,
                                           clientID: holder.clientID, campaignID: holder.campaignID, callSID: callSID))
            }
        }
        var log = logger
        log[metadataKey: "call_sid"] = "\(callSID)"
        log[metadataKey: "worker_id"] = "\(workerID)"
        if record.leaseExpiresAt <= now {
            log.info("claim refused", metadata: ["reason": "lease_expired"])
            return .refused(.leaseExpired)
        }
        if record.draining {
            log.info("claim refused", metadata: ["reason": "draining"])
            return .refused(.draining)
        }
        let free = (0..<count).first { if case .free = record.slots[$0] { true } else { false } }
        let expired = (0..<count)
            .compactMap { slot -> (Int, Date)? in
                if case .reserved(_, let expiresAt) = record.slots[slot], expiresAt <= now { return (slot, expiresAt) }
                return nil
            }
            .min { $0.1 < $1.1 }?.0
        guard let slot = free ?? expired else {
            log.info("claim refused", metadata: ["reason": "full"])
            return .refused(.full(slots: record.registration.slots))
        }
        if case .reserved(let old, _) = record.slots[slot] { index[old.reservationID] = nil }
        let id = UUID()
        let holder = Holder(reservationID: id, clientID: clientID, campaignID: campaignID, callSID: callSID)
        workerRecords[workerID]?.slots[slot] = .active(holder)
        index[id] = (workerID, slot)
        log.debug("slot claimed", metadata: ["reservation_id": "\(id)", "slot": "\(slot)"])
        return .claimed(ActiveCall(reservationID: id, workerID: workerID, slot: slot,
                                   clientID: clientID, campaignID: campaignID, callSID: callSID))
    }

    /// See ``CapacityRegistry/lookup(reservationID:)``.
    /// Declared `async` (it never suspends), like ``claim(workerID:callSID:clientID:campaignID:)``.
    public func lookup(reservationID: UUID) async -> ReservationLookup? {
        guard let (workerID, slot) = index[reservationID], let record = workerRecords[workerID] else { return nil }
        let now = clock.now()
        let alive = record.leaseExpiresAt > now
        switch record.slots[slot] {
        case .reserved(let holder, let expiresAt) where holder.reservationID == reservationID:
            return ReservationLookup(state: expiresAt > now ? .held : .lapsed, workerID: workerID, workerAlive: alive)
        case .active(let holder) where holder.reservationID == reservationID:
            return ReservationLookup(state: .active, workerID: workerID, workerAlive: alive)
        default:
            return nil
        }
    }

    static func validateClaim(workerID: String, callSID: String, clientID: String, campaignID: String?) throws(CapacityError) {
        if workerID.isEmpty { throw .invalidArgument("workerID must not be empty") }
        if callSID.isEmpty { throw .invalidArgument("callSID must not be empty") }
        if clientID.isEmpty { throw .invalidArgument("clientID must not be empty") }
        if let campaignID, campaignID.isEmpty { throw .invalidArgument("campaignID must not be empty when given") }
    }

    /// See ``CapacityRegistry/confirm(reservationID:callSID:)``.
    @discardableResult
    public func confirm(reservationID: UUID, callSID: String?) throws(CapacityError) -> ActiveCall {
        guard let (workerID, slot) = index[reservationID], let record = workerRecords[workerID] else {
            logger.warning("confirm of unknown reservation", metadata: Self.meta(reservationID, callSID))
            throw .reservationNotFound(id: reservationID)
        }
        switch record.slots[slot] {
        case .reserved(var holder, let expiresAt) where holder.reservationID == reservationID:
            guard expiresAt > clock.now() else {
                logger.warning("confirm of expired reservation", metadata: Self.meta(reservationID, callSID))
                throw .reservationExpired(id: reservationID)
            }
            if let callSID { holder.callSID = callSID }
            workerRecords[workerID]?.slots[slot] = .active(holder)
            logger.debug("reservation confirmed", metadata: Self.meta(reservationID, holder.callSID))
            return ActiveCall(reservationID: reservationID, workerID: workerID, slot: slot,
                              clientID: holder.clientID, campaignID: holder.campaignID, callSID: holder.callSID)
        case .active(let holder) where holder.reservationID == reservationID:
            return ActiveCall(reservationID: reservationID, workerID: workerID, slot: slot,
                              clientID: holder.clientID, campaignID: holder.campaignID, callSID: holder.callSID)
        default:
            throw .reservationNotFound(id: reservationID)
        }
    }

    /// See ``CapacityRegistry/release(reservationID:)``.
    @discardableResult
    public func release(reservationID: UUID) -> Bool {
        guard let (workerID, slot) = index.removeValue(forKey: reservationID),
              let record = workerRecords[workerID] else { return false }
        let wasLive: Bool
        switch record.slots[slot] {
        case .reserved(let holder, _), .active(let holder):
            guard holder.reservationID == reservationID else { return false }
            wasLive = Self.isLive(record.slots[slot], now: clock.now())
        case .free:
            return false
        }
        workerRecords[workerID]?.slots[slot] = .free
        logger.debug("reservation released", metadata: Self.meta(reservationID, nil))
        return wasLive
    }

    // MARK: Quotas and inspection

    /// See ``CapacityRegistry/setQuota(_:maxConcurrent:)``.
    public func setQuota(_ scope: QuotaScope, maxConcurrent: Int?) throws(CapacityError) {
        if scope.key.isEmpty { throw .invalidArgument("quota id must not be empty") }
        if let maxConcurrent, maxConcurrent < 0 { throw .invalidArgument("quota must be >= 0, got \(maxConcurrent)") }
        quotaLimits[scope] = maxConcurrent
        logger.info("quota set", metadata: ["scope": "\(scope)", "max_concurrent": "\(maxConcurrent.map(String.init) ?? "none")"])
    }

    /// See ``CapacityRegistry/quotas()``.
    public func quotas() -> [QuotaScope: Int] { quotaLimits }

    /// See ``CapacityRegistry/workers()``.
    public func workers() -> [WorkerStatus] {
        let now = clock.now()
        return workerRecords.values.map { record in
            var reserved = 0
            var active = 0
            for state in record.slots {
                switch state {
                case .reserved(_, let expiresAt) where expiresAt > now: reserved += 1
                case .active: active += 1
                default: break
                }
            }
            let state: WorkerState = record.leaseExpiresAt <= now ? .expired : (record.draining ? .draining : .available)
            return WorkerStatus(
                workerID: record.registration.workerID, streamURL: record.registration.streamURL,
                labels: record.registration.labels, slots: record.registration.slots,
                reserved: reserved, active: active, state: state, leaseExpiresAt: record.leaseExpiresAt
            )
        }.sorted { $0.workerID < $1.workerID }
    }

    /// See ``CapacityRegistry/usage()``.
    public func usage() -> CapacityUsage {
        let now = clock.now()
        var usage = CapacityUsage()
        for record in workerRecords.values {
            for state in record.slots where Self.isLive(state, now: now) {
                guard let holder = Self.holder(of: state) else { continue }
                usage.byClient[holder.clientID, default: 0] += 1
                if let campaign = holder.campaignID { usage.byCampaign[campaign, default: 0] += 1 }
            }
        }
        return usage
    }

    // MARK: Helpers

    private static func isLive(_ state: SlotState, now: Date) -> Bool {
        switch state {
        case .free: false
        case .reserved(_, let expiresAt): expiresAt > now
        case .active: true
        }
    }

    private static func holder(of state: SlotState) -> Holder? {
        switch state {
        case .free: nil
        case .reserved(let holder, _), .active(let holder): holder
        }
    }

    private func liveCount(now: Date, where predicate: (Holder) -> Bool) -> Int {
        var count = 0
        for record in workerRecords.values {
            for state in record.slots where Self.isLive(state, now: now) {
                if let holder = Self.holder(of: state), predicate(holder) { count += 1 }
            }
        }
        return count
    }

    private func dropIndexEntries(of record: WorkerRecord) {
        for state in record.slots {
            if let holder = Self.holder(of: state) { index[holder.reservationID] = nil }
        }
    }

    private static func meta(_ id: UUID, _ callSID: String?) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["reservation_id": "\(id)"]
        if let callSID { metadata["call_sid"] = "\(callSID)" }
        return metadata
    }
}
