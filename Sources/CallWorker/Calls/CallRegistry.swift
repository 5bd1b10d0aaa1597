import CallEngine
import Foundation
import NIOConcurrencyHelpers

/// The worker's call slots: capacity, drain state and the conversations in progress.
///
/// A slot is reserved when the WebSocket upgrade is accepted and claimed when the socket's
/// handler starts; a reservation that is never claimed (the handshake failed) expires after
/// ``reservationLifetime``. Thread-safe.
public final class CallRegistry: Sendable {
    /// A claimed slot; release it exactly once when the call's handler ends.
    public struct Slot: Sendable, Hashable {
        /// Unique per slot.
        public let id: Int
    }

    private struct State {
        var draining = false
        var reservations: [ContinuousClock.Instant] = []
        var active: [Int: CallConversation?] = [:]
        var nextID = 0
        var emptyWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    /// Most calls at once.
    public let capacity: Int
    /// How long an unclaimed reservation holds a slot.
    public let reservationLifetime: Duration
    private let state = NIOLockedValueBox(State())

    /// Creates a registry with `capacity` slots.
    public init(capacity: Int, reservationLifetime: Duration = .seconds(10)) {
        self.capacity = max(1, capacity)
        self.reservationLifetime = reservationLifetime
    }

    /// What ``reserve()`` would answer now, without reserving.
    public func admission() -> AdmissionDecision {
        state.withLockedValue { Self.decide(&$0, capacity: capacity, lifetime: reservationLifetime) }
    }

    /// Reserves a slot when the worker can take a call.
    public func reserve() -> AdmissionDecision {
        state.withLockedValue { state in
            let decision = Self.decide(&state, capacity: capacity, lifetime: reservationLifetime)
            if decision == .accept { state.reservations.append(.now) }
            return decision
        }
    }

    /// Turns the oldest reservation into an active slot. Returns nil when there is no
    /// reservation (it expired and the slot was taken meanwhile, or draining began).
    public func claim() -> Slot? {
        state.withLockedValue { state in
            Self.expire(&state, lifetime: reservationLifetime)
            guard !state.reservations.isEmpty else { return nil }
            state.reservations.removeFirst()
            state.nextID += 1
            state.active[state.nextID] = .some(nil)
            return Slot(id: state.nextID)
        }
    }

    /// Gives back a reservation that will never be claimed (the upgrade was aborted), so its
    /// slot is free at once.
    public func cancelReservation() {
        state.withLockedValue { state in
            if !state.reservations.isEmpty { state.reservations.removeLast() }
        }
    }

    /// Attaches the call's conversation once `start` arrived (so a drain can end it).
    public func attach(_ conversation: CallConversation, to slot: Slot) {
        state.withLockedValue { state in
            if state.active[slot.id] != nil { state.active[slot.id] = conversation }
        }
    }

    /// Frees a slot.
    public func release(_ slot: Slot) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.active[slot.id] = nil
            guard state.active.isEmpty else { return [] }
            defer { state.emptyWaiters.removeAll() }
            return Array(state.emptyWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Calls in progress (claimed slots).
    public var activeCount: Int { state.withLockedValue { $0.active.count } }

    /// Whether draining has begun.
    public var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Starts draining: every later reservation is refused and unclaimed ones are dropped.
    public func beginDraining() {
        state.withLockedValue { state in
            state.draining = true
            state.reservations.removeAll()
        }
    }

    /// The conversations in progress.
    public func conversations() -> [CallConversation] {
        state.withLockedValue { $0.active.values.compactMap { $0 } }
    }

    /// Returns when no call is active (at once if none is), or when the task is cancelled.
    public func waitUntilEmpty() async {
        let id = state.withLockedValue { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.active.isEmpty || Task.isCancelled { return true }
                    state.emptyWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.emptyWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    private static func expire(_ state: inout State, lifetime: Duration) {
        let now = ContinuousClock.now
        state.reservations.removeAll { now - $0 > lifetime }
    }

    private static func decide(_ state: inout State, capacity: Int, lifetime: Duration) -> AdmissionDecision {
        if state.draining { return .draining }
        expire(&state, lifetime: lifetime)
        let used = state.active.count + state.reservations.count
        return used < capacity ? .accept : .full(active: used, capacity: capacity)
    }
}
