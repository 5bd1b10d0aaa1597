import CallCapacity
import Foundation
import PostgresNIO
import Testing

/// The concurrency proof: many reservers hammer one fleet on a real server; after every step a
/// query checks that no worker holds more live reservations + calls than slots and no quota is
/// exceeded, and an independent ledger of confirmed calls checks that no slot is handed out twice.
@Suite("PostgreSQL concurrency proof", .timeLimit(.minutes(2)), .enabled(if: TestDatabase.shouldRun, TestDatabase.skipReason))
struct PostgresConcurrencyTests {
    static let workerCount = 4
    static let slotsPerWorker = 5
    static let reservers = 8
    static let stepsPerReserver = 1_000
    static let clientQuota = 4      // client c0
    static let campaignQuota = 7    // campaign k0
    static let shortHold: Duration = .milliseconds(30)
    static let longHold: Duration = .seconds(60)
    /// 8 reservers x 4 > 20 slots, so the fleet runs full and "all slots busy" is exercised.
    static let maxHeldPerReserver = 4

    @Test("8 reservers x 1000 steps never overbook 20 slots or exceed quotas")
    func neverOverbooks() async throws {
        try await TestDatabase.withRegistry(maximumConnections: 16) { harness in
            let registry = harness.registry
            for w in 0..<Self.workerCount {
                try await registry.register(RegistryBehaviours.worker("w\(w)", slots: Self.slotsPerWorker, ttl: .seconds(600)))
            }
            try await registry.setQuota(.client("c0"), maxConcurrent: Self.clientQuota)
            try await registry.setQuota(.campaign("k0"), maxConcurrent: Self.campaignQuota)

            let seed = UInt64.random(in: 0...UInt64.max)
            print("concurrency proof seed: \(seed)")
            let ledger = CallLedger(slotsPerWorker: Self.slotsPerWorker, clientQuota: Self.clientQuota, campaignQuota: Self.campaignQuota)
            let checker = InvariantChecker(harness: harness, totalSlots: Self.workerCount * Self.slotsPerWorker)

            let stats = try await withThrowingTaskGroup(of: ReserverStats.self) { group in
                for index in 0..<Self.reservers {
                    group.addTask {
                        try await Self.runReserver(index: index, seed: seed, registry: registry, ledger: ledger, checker: checker)
                    }
                }
                var total = ReserverStats()
                for try await stats in group { total.add(stats) }
                return total
            }
            print("concurrency proof: \(stats), max live observed \(await checker.maxLive)")

            let violations = await ledger.violations + (await checker.violations)
            #expect(violations.isEmpty, "\(violations.prefix(10))")
            // The run must really have stressed the limits, or it proves nothing.
            #expect(await checker.maxLive == Self.workerCount * Self.slotsPerWorker)
            #expect(stats.reserved > 1_000)
            #expect(stats.refused[.allSlotsBusy, default: 0] > 0)
            #expect(stats.refused[.clientQuotaReached(clientID: "c0", limit: Self.clientQuota), default: 0] > 0)
            #expect(stats.refused[.campaignQuotaReached(campaignID: "k0", limit: Self.campaignQuota), default: 0] > 0)
            #expect(stats.expiredConfirms + stats.abandoned > 0)

            // Everything held was released; abandoned holds expire by themselves.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await registry.usage() != CapacityUsage(), ContinuousClock.now < deadline {
                try await harness.advance(past: Self.shortHold)
            }
            #expect(try await registry.usage() == CapacityUsage())
            let workers = try await registry.workers()
            #expect(workers.map(\.free) == Array(repeating: Self.slotsPerWorker, count: Self.workerCount))
            try await checker.check()
            #expect(await checker.violations.isEmpty)

            // No slot was lost: the whole fleet can be reserved again, and not one slot more.
            for _ in 0..<(Self.workerCount * Self.slotsPerWorker) {
                _ = try await RegistryBehaviours.reserved(registry, client: "final")
            }
            #expect(try await RegistryBehaviours.reserve(registry, client: "final") == .noCapacity(.allSlotsBusy))
        }
    }

    private struct Held {
        let reservation: Reservation
        let isShort: Bool
        var active = false
    }

    private static func runReserver(
        index: Int, seed: UInt64, registry: any CapacityRegistry, ledger: CallLedger, checker: InvariantChecker
    ) async throws -> ReserverStats {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        var held: [Held] = []
        var stats = ReserverStats()
        let clients = ["c0", "c1", "c2", "c3"]
        let campaigns: [String?] = ["k0", "k1", nil]

        for _ in 0..<stepsPerReserver {
            if !held.isEmpty && (held.count >= Self.maxHeldPerReserver || rng.next() % 2 == 0) {
                let i = Int(rng.next() % UInt64(held.count))
                let item = held[i]
                if item.active {
                    // A confirmed call never expires, so releasing it must free a live slot.
                    await ledger.end(item.reservation)
                    let wasLive = try await registry.release(reservationID: item.reservation.id)
                    if !wasLive { await ledger.record("active call \(item.reservation.id) was not live at release") }
                    held.remove(at: i)
                    stats.released += 1
                } else {
                    switch rng.next() % 10 {
                    case 0..<6:
                        let result: Result<ActiveCall, CapacityError>
                        do {
                            result = .success(try await registry.confirm(reservationID: item.reservation.id, callSID: "CA-\(index)"))
                        } catch {
                            result = .failure(error)
                        }
                        switch result {
                        case .success:
                            held[i].active = true
                            stats.confirmed += 1
                            await ledger.start(item.reservation)
                        case .failure(.reservationExpired), .failure(.reservationNotFound):
                            // Only a short hold may lapse before its confirm.
                            if !item.isShort { await ledger.record("long hold \(item.reservation.id) was lost") }
                            held.remove(at: i)
                            stats.expiredConfirms += 1
                        case .failure(let error):
                            throw error
                        }
                    case 6..<8:
                        _ = try await registry.release(reservationID: item.reservation.id)
                        held.remove(at: i)
                        stats.released += 1
                    default:
                        if item.isShort {
                            held.remove(at: i)   // left to expire on its own
                            stats.abandoned += 1
                        } else {
                            _ = try await registry.release(reservationID: item.reservation.id)
                            held.remove(at: i)
                            stats.released += 1
                        }
                    }
                }
            } else {
                let isShort = rng.next() % 2 == 0
                let request = ReservationRequest(
                    clientID: clients[Int(rng.next() % UInt64(clients.count))],
                    campaignID: campaigns[Int(rng.next() % UInt64(campaigns.count))],
                    hold: isShort ? shortHold : longHold
                )
                switch try await registry.reserve(request) {
                case .reserved(let reservation):
                    held.append(Held(reservation: reservation, isShort: isShort))
                    stats.reserved += 1
                case .noCapacity(let reason):
                    stats.refused[reason, default: 0] += 1
                }
            }
            try await checker.check()
        }
        for item in held {
            if item.active { await ledger.end(item.reservation) }
            _ = try await registry.release(reservationID: item.reservation.id)
        }
        return stats
    }
}

/// Counts of what one reserver did.
struct ReserverStats: CustomStringConvertible {
    var reserved = 0
    var confirmed = 0
    var released = 0
    var abandoned = 0
    var expiredConfirms = 0
    var refused: [NoCapacityReason: Int] = [:]

    mutating func add(_ other: ReserverStats) {
        reserved += other.reserved
        confirmed += other.confirmed
        released += other.released
        abandoned += other.abandoned
        expiredConfirms += other.expiredConfirms
        refused.merge(other.refused, uniquingKeysWith: +)
    }

    var description: String {
        "reserved \(reserved), confirmed \(confirmed), released \(released), abandoned \(abandoned), " +
            "late confirms \(expiredConfirms), refused \(refused.map { "\($0.key): \($0.value)" }.sorted())"
    }
}

/// An independent record of confirmed calls, kept by the test, not the database. A call is
/// entered after its confirm returned and removed before its release is sent, so the ledger
/// never holds a call the database has already freed.
actor CallLedger {
    private var bySlot: [String: UUID] = [:]
    private var byWorker: [String: Int] = [:]
    private var byClient: [String: Int] = [:]
    private var byCampaign: [String: Int] = [:]
    private(set) var violations: [String] = []
    let slotsPerWorker: Int
    let clientQuota: Int
    let campaignQuota: Int

    init(slotsPerWorker: Int, clientQuota: Int, campaignQuota: Int) {
        self.slotsPerWorker = slotsPerWorker
        self.clientQuota = clientQuota
        self.campaignQuota = campaignQuota
    }

    func start(_ reservation: Reservation) {
        let key = "\(reservation.workerID)/\(reservation.slot)"
        if let other = bySlot[key] { violations.append("slot \(key) confirmed for \(reservation.id) while \(other) holds it") }
        bySlot[key] = reservation.id
        byWorker[reservation.workerID, default: 0] += 1
        byClient[reservation.clientID, default: 0] += 1
        if let campaign = reservation.campaignID { byCampaign[campaign, default: 0] += 1 }
        if byWorker[reservation.workerID, default: 0] > slotsPerWorker { violations.append("worker \(reservation.workerID) over its slots") }
        if byClient["c0", default: 0] > clientQuota { violations.append("client c0 over quota") }
        if byCampaign["k0", default: 0] > campaignQuota { violations.append("campaign k0 over quota") }
    }

    func end(_ reservation: Reservation) {
        let key = "\(reservation.workerID)/\(reservation.slot)"
        if bySlot[key] == reservation.id { bySlot[key] = nil }
        byWorker[reservation.workerID, default: 0] -= 1
        byClient[reservation.clientID, default: 0] -= 1
        if let campaign = reservation.campaignID { byCampaign[campaign, default: 0] -= 1 }
    }

    func record(_ violation: String) { violations.append(violation) }
}

/// Runs the invariant query: live reservations + calls per worker, per fleet, per quota.
actor InvariantChecker {
    let harness: PostgresHarness
    let totalSlots: Int
    private(set) var maxLive = 0
    private(set) var violations: [String] = []
    private(set) var checks = 0

    init(harness: PostgresHarness, totalSlots: Int) {
        self.harness = harness
        self.totalSlots = totalSlots
    }

    private static let sql = """
        WITH t AS (SELECT clock_timestamp() AS now),
        live AS (
            SELECT s.worker_id, s.client_id, s.campaign_id, s.reservation_id
              FROM $schema.slots s, t
             WHERE s.state = 'active' OR (s.state = 'reserved' AND s.expires_at > t.now)
        ),
        per_worker AS (
            SELECT w.worker_id, w.slots, count(l.reservation_id) AS used
              FROM $schema.workers w LEFT JOIN live l ON l.worker_id = w.worker_id
             GROUP BY w.worker_id, w.slots
        )
        SELECT (SELECT count(*) FROM live),
               (SELECT count(DISTINCT reservation_id) FROM live),
               (SELECT coalesce(sum(slots), 0)::bigint FROM $schema.workers),
               (SELECT count(*) FROM per_worker WHERE used > slots),
               (SELECT count(*) FROM live WHERE client_id = 'c0'),
               (SELECT count(*) FROM live WHERE campaign_id = 'k0')
        """

    func check() async throws {
        let rows = try await harness.query(Self.sql)
        for try await (live, distinct, slots, overbooked, client, campaign) in rows.decode((Int, Int, Int, Int, Int, Int).self) {
            checks += 1
            maxLive = max(maxLive, live)
            if live > slots || live > totalSlots { violations.append("\(live) live reservations+calls > \(slots) slots") }
            if distinct != live { violations.append("a reservation id holds two slots") }
            if overbooked > 0 { violations.append("\(overbooked) workers over their slot count") }
            if client > PostgresConcurrencyTests.clientQuota { violations.append("client c0 has \(client) live") }
            if campaign > PostgresConcurrencyTests.campaignQuota { violations.append("campaign k0 has \(campaign) live") }
        }
    }
}

/// A small seeded generator so a failing run can be replayed from its printed seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
