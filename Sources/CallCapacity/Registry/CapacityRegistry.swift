import Foundation

/// A fleet-wide registry of call slots.
///
/// Workers register with a lease (TTL) and heartbeat; a dialler reserves a slot before it
/// places a call, the worker confirms the reservation when the media stream starts and
/// releases it when the call ends. A reservation that is not confirmed before its hold
/// lapses frees its slot by itself.
///
/// Guarantees every backend gives:
/// - At no instant does a worker have more live reservations + calls than its slot count
///   (two reservers never get the same slot).
/// - A per-client or per-campaign quota is never exceeded by new reservations; the quota
///   check is atomic with the reservation.
/// - Only workers whose lease is valid and that are not draining receive new reservations.
/// - All time decisions (lease and hold expiry) use the registry's own clock (the database
///   clock for ``PostgresCapacityRegistry``), so clock skew between callers cannot double-book.
public protocol CapacityRegistry: Sendable {
    /// Registers a worker or updates its registration, and starts a new lease of `ttl`.
    /// Existing reservations and calls on the worker are kept.
    /// - Returns: When the new lease lapses.
    @discardableResult
    func register(_ registration: WorkerRegistration) async throws(CapacityError) -> Date

    /// Extends a worker's lease by its TTL. Revives a worker whose lease lapsed.
    /// - Returns: When the new lease lapses.
    /// - Throws: ``CapacityError/workerNotFound(workerID:)`` when the worker is unknown
    ///   (register again).
    @discardableResult
    func heartbeat(workerID: String) async throws(CapacityError) -> Date

    /// Removes a worker and everything it holds.
    /// - Returns: Whether the worker existed.
    @discardableResult
    func deregister(workerID: String) async throws(CapacityError) -> Bool

    /// Frees every reservation and call on a worker (a restarted worker has no calls).
    /// - Returns: How many live reservations + calls were freed.
    @discardableResult
    func releaseAll(workerID: String) async throws(CapacityError) -> Int

    /// Atomically picks a live, non-draining worker with a free slot that carries the required
    /// labels and whose client and campaign quotas allow one more, and holds the slot.
    /// - Returns: ``ReservationOutcome/reserved(_:)`` or ``ReservationOutcome/noCapacity(_:)``.
    func reserve(_ request: ReservationRequest) async throws(CapacityError) -> ReservationOutcome

    /// Takes a slot on one given worker for a call that reached it without a reservation
    /// (an inbound call routed by a load balancer), so the registry's free count stays true.
    ///
    /// Atomic like ``reserve(_:)``: a free slot first, else an unconfirmed hold that expired.
    /// The slot is held as an active call at once (nothing to confirm) and freed with
    /// ``release(reservationID:)`` using the returned id. Claiming again for the same call SID on
    /// the same worker returns the same call. Quotas are not checked (an inbound caller cannot be
    /// told to wait), but the call counts in ``usage()`` under `clientID` / `campaignID`.
    /// - Returns: ``ClaimOutcome/claimed(_:)``, or ``ClaimOutcome/refused(_:)`` when the worker
    ///   is draining, its lease lapsed, or all its slots are in use.
    /// - Throws: ``CapacityError/workerNotFound(workerID:)`` for an unknown worker,
    ///   ``CapacityError/invalidArgument(_:)`` for empty ids.
    func claim(workerID: String, callSID: String, clientID: String, campaignID: String?) async throws(CapacityError) -> ClaimOutcome

    /// Reads one reservation without changing it.
    /// - Returns: nil when the registry has no such reservation (never made, released, its
    ///   slot reused, or its worker removed).
    func lookup(reservationID: UUID) async throws(CapacityError) -> ReservationLookup?

    /// Turns a live reservation into an active call (the stream started). Confirming an already
    /// confirmed reservation returns the same call.
    /// - Throws: ``CapacityError/reservationExpired(id:)`` when the hold lapsed,
    ///   ``CapacityError/reservationNotFound(id:)`` when it is unknown or released.
    @discardableResult
    func confirm(reservationID: UUID, callSID: String?) async throws(CapacityError) -> ActiveCall

    /// Frees a reservation or call. Idempotent.
    /// - Returns: `true` when a live reservation or call was freed, `false` when there was none
    ///   (already released, expired, or unknown).
    @discardableResult
    func release(reservationID: UUID) async throws(CapacityError) -> Bool

    /// Sets a worker's drain flag: a draining worker gets no new reservations; its existing
    /// reservations and calls continue.
    /// - Throws: ``CapacityError/workerNotFound(workerID:)``.
    func setDraining(workerID: String, _ draining: Bool) async throws(CapacityError)

    /// Sets (or with `nil` removes) the maximum number of concurrent reservations + calls of a
    /// client or campaign. Lowering a quota never evicts anything; it only refuses new reservations.
    func setQuota(_ scope: QuotaScope, maxConcurrent: Int?) async throws(CapacityError)

    /// All quotas that are set.
    func quotas() async throws(CapacityError) -> [QuotaScope: Int]

    /// All registered workers with their used and free slots and state, ordered by id.
    func workers() async throws(CapacityError) -> [WorkerStatus]

    /// Live reservations + calls counted by client and by campaign.
    func usage() async throws(CapacityError) -> CapacityUsage

    /// Deletes workers whose lease lapsed more than `gracePeriod` ago, with their calls.
    /// - Returns: The ids of the removed workers.
    @discardableResult
    func removeExpiredWorkers(gracePeriod: Duration) async throws(CapacityError) -> [String]
}

extension CapacityRegistry {
    /// Registries that predate lookups (test doubles) refuse them with a typed error.
    public func lookup(reservationID: UUID) async throws(CapacityError) -> ReservationLookup? {
        throw .invalidArgument("this registry does not support lookups")
    }

    /// Registries that predate claims (test doubles) refuse them with a typed error.
    public func claim(workerID: String, callSID: String, clientID: String, campaignID: String?) async throws(CapacityError) -> ClaimOutcome {
        throw .invalidArgument("this registry does not support claims")
    }

    /// Confirms a reservation without a carrier call id.
    @discardableResult
    public func confirm(reservationID: UUID) async throws(CapacityError) -> ActiveCall {
        try await confirm(reservationID: reservationID, callSID: nil)
    }

    /// Puts a worker into drain mode.
    public func drain(workerID: String) async throws(CapacityError) {
        try await setDraining(workerID: workerID, true)
    }

    /// Takes a worker out of drain mode.
    public func undrain(workerID: String) async throws(CapacityError) {
        try await setDraining(workerID: workerID, false)
    }

    /// The status of one worker, or `nil` when it is not registered.
    public func worker(_ workerID: String) async throws(CapacityError) -> WorkerStatus? {
        try await workers().first { $0.workerID == workerID }
    }
}
