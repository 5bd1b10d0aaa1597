/// The decisions of the worker's connection cap, as a value type: which connections are
/// open, which of them are still sending their first request head, and what to do when one
/// more arrives at the cap.
///
/// At the cap a new connection evicts the **oldest connection still waiting for its request
/// head** (a slow or silent client) and is admitted; when every open connection is past its
/// head (requests in progress, WebSocket calls), the new one is refused. So a flood of
/// slow-header connections cannot lock out a real request, and it never ends a call.
struct ConnectionTable {
    /// What to do with a new connection.
    enum OpenDecision: Equatable {
        /// Admit it.
        case admit
        /// Admit it and close connection `evicted`.
        case admitEvicting(evicted: Int)
        /// Close it at once.
        case refuse
    }

    /// Most open connections.
    let capacity: Int
    private(set) var awaitingHead: Set<Int> = []
    private(set) var busy: Set<Int> = []
    /// Connections waiting for their head, oldest first; entries that moved on are skipped.
    private var queue: [Int] = []
    private var queueStart = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Open connections.
    var count: Int { awaitingHead.count + busy.count }

    /// A new connection `id`.
    mutating func open(_ id: Int) -> OpenDecision {
        guard count >= capacity else {
            add(id)
            return .admit
        }
        while queueStart < queue.count {
            let candidate = queue[queueStart]
            queueStart += 1
            if awaitingHead.remove(candidate) != nil {
                compact()
                add(id)
                return .admitEvicting(evicted: candidate)
            }
        }
        compact()
        return .refuse
    }

    /// Connection `id` sent a complete request head.
    mutating func headComplete(_ id: Int) {
        guard awaitingHead.remove(id) != nil else { return }
        busy.insert(id)
        compact()
    }

    /// Connection `id` closed.
    mutating func close(_ id: Int) {
        awaitingHead.remove(id)
        busy.remove(id)
        compact()
    }

    private mutating func add(_ id: Int) {
        awaitingHead.insert(id)
        queue.append(id)
    }

    /// Drops skipped queue entries once they are most of the array (amortised O(1)).
    private mutating func compact() {
        if queueStart > 64, queueStart * 2 > queue.count {
            queue.removeFirst(queueStart)
            queueStart = 0
        }
        if queue.count - queueStart > 4 * max(awaitingHead.count, 16) {
            queue = queue[queueStart...].filter { awaitingHead.contains($0) }
            queueStart = 0
        }
    }
}
