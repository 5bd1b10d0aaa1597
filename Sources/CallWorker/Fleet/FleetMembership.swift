import CallCapacity
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import Synchronization

/// This worker's membership in a fleet-wide ``CapacityRegistry``: the registration it keeps
/// alive, the drain flag the registry holds for it, and the confirm/release of each call's
/// reservation.
///
/// A dialler reserves a slot (``CapacityRegistry/reserve(_:)``), places the call with the
/// reservation id (as `reservation_id` on the TwiML webhook URL, which the worker passes on as
/// a `<Parameter>` of the stream, or directly as a stream parameter), and the worker confirms
/// the reservation when the stream's `start` arrives and releases it when the call ends.
/// A call without a reservation id (an inbound call routed by a load balancer) claims a slot on
/// this worker (``admitUnreserved(callSID:logger:)``, ``CapacityRegistry/claim(workerID:callSID:clientID:campaignID:)``)
/// so the registry's free count stays true; it is refused when the registry says this worker has
/// no slot (full, draining, lease lapsed), and released at call end like a reserved call.
///
/// Registry failures never stop a call: they are logged with `call_sid` and counted in
/// `capacity_registry_errors_total{operation}`; an unconfirmed hold lapses by itself, and a
/// release that failed is retried at every heartbeat tick (``retryPendingReleases()``).
public final class FleetMembership: Sendable {
    /// The registry.
    public let registry: any CapacityRegistry
    /// What this worker registers.
    public let registration: WorkerRegistration
    /// How many times a failed release is tried in all.
    public let releaseAttempts: Int
    /// Longest wait for one registry operation; a hung database must not hold a call's end or
    /// the drain.
    public let operationTimeout: Duration
    /// Longest a call's end waits for the registry (``tracking(reservationID:callSID:logger:during:)``).
    public let callEndBudget: Duration
    /// Default ``callEndBudget``: 2 s, so a failing or hung database cannot hold a call's
    /// result delivery or the drain.
    public static let defaultCallEndBudget: Duration = .seconds(2)
    let logger: Logger
    private let drainingInRegistry = Atomic<Bool>(false)
    private let pendingReleases = NIOLockedValueBox<Set<UUID>>([])
    private let joined = NIOLockedValueBox(JoinState())
    /// Call SID -> the slot claimed for it by ``admitUnreserved(callSID:logger:)``.
    private let claims = NIOLockedValueBox<[String: UUID]>([:])

    /// The client id unreserved (inbound) calls count against in the registry.
    public static let inboundClientID = "inbound"

    /// What ``admitUnreserved(callSID:logger:)`` decided for a call that came without a reservation.
    public enum UnreservedAdmission: Sendable, Hashable {
        /// A slot was claimed; ``tracking(reservationID:callSID:logger:during:)`` releases it at the end.
        case counted(reservationID: UUID)
        /// The registry has no slot on this worker for the call: refuse it.
        case refused(ClaimRefusal)
        /// The registry could not be asked (error or timeout): the call goes on uncounted,
        /// because registry failures never stop a call (logged and counted as `claim` errors).
        case uncounted
    }

    private struct JoinState {
        var registered = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The name of the stream parameter (and TwiML webhook query parameter) carrying the
    /// reservation id.
    public static let reservationParameter = "reservation_id"

    /// Creates a membership.
    /// - Parameters:
    ///   - registry: The fleet's registry.
    ///   - registration: This worker's id, stream URL, slot count, labels and TTL.
    ///   - releaseAttempts: Tries for a release at call end before it is left to
    ///     ``retryPendingReleases()``.
    ///   - operationTimeout: Longest wait for one registry operation.
    ///   - callEndBudget: Longest a call's end waits for the registry (confirmation and
    ///     release); past it the release goes on in the background and is retried at the
    ///     next heartbeat if it fails.
    ///   - logger: Logger for registry events.
    public init(
        registry: any CapacityRegistry,
        registration: WorkerRegistration,
        releaseAttempts: Int = 3,
        operationTimeout: Duration = .seconds(5),
        callEndBudget: Duration = FleetMembership.defaultCallEndBudget,
        logger: Logger
    ) {
        self.registry = registry
        self.registration = registration
        self.releaseAttempts = max(1, releaseAttempts)
        self.operationTimeout = operationTimeout
        self.callEndBudget = callEndBudget
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(registration.workerID)"
        self.logger = logger
    }

    /// Whether the registry marks this worker as draining (an operator's drain, or this
    /// worker's own on shutdown), as of the last refresh.
    public var isDrainingInRegistry: Bool { drainingInRegistry.load(ordering: .relaxed) }

    /// Whether the first registration succeeded (the worker is in the fleet).
    public var isRegistered: Bool { joined.withLockedValue { $0.registered } }

    /// Returns once the first registration succeeded (at once if it has).
    public func waitUntilRegistered() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = joined.withLockedValue { state -> Bool in
                if state.registered { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Records the first successful registration (``FleetService`` calls it).
    func markRegistered() {
        let waiters = joined.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.registered = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Reads this worker's drain flag from the registry.
    /// - Throws: the registry's error; ``CapacityError/workerNotFound(workerID:)`` when this
    ///   worker is not registered.
    public func refresh() async throws(CapacityError) {
        let registry = self.registry
        let workerID = registration.workerID
        guard let status = try await bounded({ () async throws(CapacityError) in try await registry.worker(workerID) }) else {
            throw .workerNotFound(workerID: registration.workerID)
        }
        let draining = status.state == .draining
        let previous = drainingInRegistry.exchange(draining, ordering: .relaxed)
        if previous != draining {
            logger.info(draining ? "registry marks this worker draining" : "registry no longer marks this worker draining")
        }
    }

    /// Marks this worker draining in the registry so no new reservations are sent here.
    /// Failures are logged, not thrown: shutdown goes on.
    public func beginDraining() async {
        drainingInRegistry.store(true, ordering: .relaxed)
        // Never joined (the database was unreachable): nothing to mark.
        guard isRegistered else { return }
        do {
            let registry = self.registry
            let workerID = registration.workerID
            try await bounded { () async throws(CapacityError) in try await registry.drain(workerID: workerID) }
            logger.info("marked draining in the capacity registry")
        } catch {
            Self.countError(operation: "drain")
            logger.error("could not mark this worker draining in the capacity registry", metadata: ["error": "\(error)"])
        }
    }

    /// The reservation id in a stream's custom parameters, if any.
    /// - Returns: nil when absent; logs and returns nil when present but not a UUID.
    public func reservationID(in parameters: [String: String], logger: Logger) -> UUID? {
        guard let raw = parameters[Self.reservationParameter], !raw.isEmpty else { return nil }
        guard let id = UUID(uuidString: raw) else {
            Self.countError(operation: "parse")
            logger.warning("ignoring malformed reservation id", metadata: ["reservation_id": "\(raw)"])
            return nil
        }
        return id
    }

    /// Claims a registry slot on this worker for a call that arrived without a reservation.
    /// Call it once per call, before the call runs; the claim is remembered by call SID and
    /// released by ``tracking(reservationID:callSID:logger:during:)`` with a `nil` reservation.
    public func admitUnreserved(callSID: String, logger: Logger) async -> UnreservedAdmission {
        let registry = self.registry
        let workerID = registration.workerID
        do {
            let outcome = try await bounded { () async throws(CapacityError) in
                try await registry.claim(workerID: workerID, callSID: callSID, clientID: Self.inboundClientID, campaignID: nil)
            }
            switch outcome {
            case .claimed(let call):
                claims.withLockedValue { $0[callSID] = call.reservationID }
                logger.info("unreserved call counted in the capacity registry", metadata: [
                    "reservation_id": "\(call.reservationID)", "slot": "\(call.slot)",
                ])
                return .counted(reservationID: call.reservationID)
            case .refused(let refusal):
                logger.warning("capacity registry has no slot on this worker for the call", metadata: ["reason": "\(refusal)"])
                return .refused(refusal)
            }
        } catch {
            Self.countError(operation: "claim")
            logger.warning("could not claim a registry slot for the call; the call goes on uncounted", metadata: ["error": "\(error)"])
            return .uncounted
        }
    }

    /// Runs a call with its reservation confirmed at the start and released at the end.
    ///
    /// The confirmation runs alongside `body`, so a slow registry never delays the greeting.
    /// The release waits for the confirmation, then runs whatever it answered (releasing an
    /// expired or unknown reservation is harmless). The caller waits at most
    /// ``callEndBudget`` for both after `body` returns; a release still unfinished then goes
    /// on in the background and is also queued for ``retryPendingReleases()``.
    /// - Parameters:
    ///   - reservationID: The call's reservation; nil releases the slot
    ///     ``admitUnreserved(callSID:logger:)`` claimed for `callSID` at the end, or runs `body`
    ///     alone when there is none.
    ///   - callSID: The carrier's call id, stored with the reservation.
    ///   - logger: The call's logger (carries `call_sid`).
    ///   - body: The call.
    public func tracking<T: Sendable>(
        reservationID: UUID?,
        callSID: String,
        logger: Logger,
        during body: () async -> T
    ) async -> T {
        let claimed = reservationID == nil ? claims.withLockedValue { $0.removeValue(forKey: callSID) } : nil
        guard let reservationID = reservationID ?? claimed else { return await body() }
        var tagged = logger
        tagged[metadataKey: "reservation_id"] = "\(reservationID)"
        // Captured as a constant: the tasks below get a Sendable copy (ThreadSanitizer builds
        // refuse to send a captured `var`).
        let logger = tagged
        // A claimed slot is already an active call: nothing to confirm.
        let confirmation = Task {
            if claimed == nil { await self.confirm(reservationID, callSID: callSID, logger: logger) }
        }
        let value = await body()
        let release = Task {
            await confirmation.value
            await self.release(reservationID, logger: logger)
        }
        if await !Self.finishes(release, within: callEndBudget) {
            pendingReleases.withLockedValue { _ = $0.insert(reservationID) }
            logger.warning("capacity registry did not answer within the call-end budget; release deferred", metadata: [
                "budget_ms": "\(callEndBudget.components.seconds * 1000 + callEndBudget.components.attoseconds / 1_000_000_000_000_000)",
            ])
        }
        return value
    }

    /// Whether `task` finished within `limit`. Returns at the limit even if the task ignores
    /// cancellation (a hung database driver), leaving it running.
    static func finishes(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let race = FirstOutcome()
        let timer = Task {
            try? await Task.sleep(for: limit)
            race.resolve(false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            race.install(continuation)
            Task {
                await task.value
                race.resolve(true)
            }
        }
    }

    /// The first of two racing outcomes resumes the waiter; the other is ignored.
    private final class FirstOutcome: Sendable {
        private let state = NIOLockedValueBox<(continuation: CheckedContinuation<Bool, Never>?, early: Bool?)>((nil, nil))

        func install(_ continuation: CheckedContinuation<Bool, Never>) {
            let early = state.withLockedValue { state -> Bool? in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(returning: early) }
        }

        func resolve(_ value: Bool) {
            let continuation = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                guard state.early == nil else { return nil }
                state.early = value
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: value)
        }
    }

    private func confirm(_ reservationID: UUID, callSID: String, logger: Logger) async {
        do {
            let registry = self.registry
            let call = try await bounded { () async throws(CapacityError) in
                try await registry.confirm(reservationID: reservationID, callSID: callSID)
            }
            if call.workerID != registration.workerID {
                logger.warning("confirmed a reservation held for another worker", metadata: ["held_by": "\(call.workerID)"])
            } else {
                logger.info("reservation confirmed", metadata: ["slot": "\(call.slot)"])
            }
        } catch {
            Self.countError(operation: "confirm")
            logger.warning("could not confirm the call's reservation; the call goes on", metadata: ["error": "\(error)"])
        }
    }

    private func release(_ reservationID: UUID, logger: Logger) async {
        for attempt in 1...releaseAttempts {
            do {
                let registry = self.registry
                _ = try await bounded { () async throws(CapacityError) in try await registry.release(reservationID: reservationID) }
                logger.debug("reservation released")
                return
            } catch {
                Self.countError(operation: "release")
                logger.error("could not release the call's reservation", metadata: [
                    "error": "\(error)", "attempt": "\(attempt)", "attempts": "\(releaseAttempts)",
                ])
                if attempt < releaseAttempts {
                    try? await Task.sleep(for: .milliseconds(250 << attempt))
                }
            }
        }
        // Still held: keep it for ``retryPendingReleases()`` (every heartbeat tick), so the
        // slot is not lost until the worker restarts.
        pendingReleases.withLockedValue { _ = $0.insert(reservationID) }
        logger.warning("release deferred to the next heartbeat tick")
    }

    /// Reservations whose release failed and will be retried.
    public var pendingReleaseCount: Int { pendingReleases.withLockedValue { $0.count } }

    /// Retries the releases that failed at call end, once each. ``FleetService`` calls it at
    /// every heartbeat tick.
    /// - Returns: how many are still pending.
    @discardableResult
    public func retryPendingReleases() async -> Int {
        let pending = pendingReleases.withLockedValue { $0 }
        for reservationID in pending {
            do {
                let registry = self.registry
                _ = try await bounded { () async throws(CapacityError) in try await registry.release(reservationID: reservationID) }
                pendingReleases.withLockedValue { _ = $0.remove(reservationID) }
                logger.info("deferred release done", metadata: ["reservation_id": "\(reservationID)"])
            } catch {
                Self.countError(operation: "release")
                logger.warning("deferred release failed again", metadata: ["reservation_id": "\(reservationID)", "error": "\(error)"])
            }
        }
        return pendingReleases.withLockedValue { $0.count }
    }

    /// Runs one registry operation, giving up after ``operationTimeout`` with
    /// ``CapacityError/database(message:)``.
    func bounded<T: Sendable>(
        _ operation: @escaping @Sendable () async throws(CapacityError) -> T
    ) async throws(CapacityError) -> T {
        let timeout = operationTimeout
        let outcome = await withTaskGroup(of: Result<T, CapacityError>?.self) { group in
            group.addTask {
                do throws(CapacityError) {
                    return .success(try await operation())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        guard let outcome else {
            throw .database(message: "capacity registry did not answer within \(timeout)")
        }
        return try outcome.get()
    }

    static func countError(operation: String) {
        Counter(label: "capacity_registry_errors_total", dimensions: [("operation", operation)]).increment()
    }
}
