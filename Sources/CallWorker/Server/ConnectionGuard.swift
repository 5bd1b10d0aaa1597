import NIOConcurrencyHelpers
import NIOCore

/// The worker's open HTTP/WebSocket connections: the cap (``ConnectionTable``), the
/// channels to close on eviction, and counters for `/api/v1/metrics`-style diagnostics and
/// the hostile-peer probe. Thread-safe; shared by every connection's
/// ``ConnectionGuardHandler``.
public final class ConnectionGuard: Sendable {
    /// What the guard has done so far.
    public struct Counters: Sendable, Hashable {
        /// Connections admitted.
        public var admitted = 0
        /// Connections refused at the cap (nothing evictable).
        public var refused = 0
        /// Connections closed to make room (oldest still sending its head).
        public var evicted = 0
        /// Connections closed because their request head did not complete in time.
        public var headerTimeouts = 0
        /// Accepted WebSocket upgrades whose connection closed before the call handler ran
        /// (their slot reservation was released at once).
        public var abortedUpgrades = 0
        /// Connections open now.
        public var open = 0
    }

    private struct State {
        var table: ConnectionTable
        var channels: [Int: any Channel] = [:]
        var nextID = 0
        var counters = Counters()
    }

    private let state: NIOLockedValueBox<State>
    /// Time from connect until the request head must be complete.
    public let headerTimeout: Duration

    /// Creates a guard for at most `maximumConnections`.
    public init(maximumConnections: Int, headerTimeout: Duration) {
        state = NIOLockedValueBox(State(table: ConnectionTable(capacity: maximumConnections)))
        self.headerTimeout = headerTimeout
    }

    /// A snapshot of the counters.
    public var counters: Counters {
        state.withLockedValue { state in
            var counters = state.counters
            counters.open = state.table.count
            return counters
        }
    }

    /// Registers a new connection; nil when it must be closed at once (refused).
    func open(_ channel: any Channel) -> Int? {
        let (id, evicted) = state.withLockedValue { state -> (Int?, (any Channel)?) in
            state.nextID += 1
            let id = state.nextID
            switch state.table.open(id) {
            case .admit:
                state.channels[id] = channel
                state.counters.admitted += 1
                return (id, nil)
            case .admitEvicting(let other):
                state.channels[id] = channel
                state.counters.admitted += 1
                state.counters.evicted += 1
                return (id, state.channels.removeValue(forKey: other))
            case .refuse:
                state.counters.refused += 1
                return (nil, nil)
            }
        }
        evicted?.close(promise: nil)
        return id
    }

    func headComplete(_ id: Int) {
        state.withLockedValue { $0.table.headComplete(id) }
    }

    func headerTimedOut(_ id: Int) {
        state.withLockedValue { $0.counters.headerTimeouts += 1 }
    }

    func closed(_ id: Int) {
        state.withLockedValue { state in
            state.table.close(id)
            state.channels[id] = nil
        }
    }

    func upgradeAborted() {
        state.withLockedValue { $0.counters.abortedUpgrades += 1 }
    }
}
