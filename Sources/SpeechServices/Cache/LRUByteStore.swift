/// A least-recently-used map bounded by the total byte size of its values.
/// Not thread-safe; ``TTSCache`` guards it with a lock. Lookups and inserts are O(1)
/// apart from evictions.
struct LRUByteStore<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key
        var value: Value?
        var bytes: Int
        var previous: Int
        var next: Int
    }

    private var nodes: [Node] = []
    private var freeSlots: [Int] = []
    private var index: [Key: Int] = [:]
    private var head = -1  // most recently used
    private var tail = -1  // least recently used
    private(set) var totalBytes = 0
    let maxBytes: Int

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    var count: Int { index.count }

    /// Whether `key` is present (does not change the LRU order).
    func contains(_ key: Key) -> Bool { index[key] != nil }

    /// Returns the value and marks it most recently used.
    mutating func value(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        moveToFront(slot)
        return nodes[slot].value
    }

    /// Inserts or replaces a value; returns the keys evicted to stay within `maxBytes`.
    mutating func insert(_ value: Value, bytes: Int, for key: Key) -> [Key] {
        if let slot = index[key] {
            totalBytes += bytes - nodes[slot].bytes
            nodes[slot].value = value
            nodes[slot].bytes = bytes
            moveToFront(slot)
        } else {
            let node = Node(key: key, value: value, bytes: bytes, previous: -1, next: head)
            let slot: Int
            if let free = freeSlots.popLast() {
                nodes[free] = node
                slot = free
            } else {
                nodes.append(node)
                slot = nodes.count - 1
            }
            if head >= 0 { nodes[head].previous = slot }
            head = slot
            if tail < 0 { tail = slot }
            index[key] = slot
            totalBytes += bytes
        }
        var evicted: [Key] = []
        while totalBytes > maxBytes, tail >= 0 {
            let key = nodes[tail].key
            evicted.append(key)
            remove(key)
        }
        return evicted
    }

    /// Removes a key if present.
    mutating func remove(_ key: Key) {
        guard let slot = index.removeValue(forKey: key) else { return }
        unlink(slot)
        totalBytes -= nodes[slot].bytes
        nodes[slot].value = nil
        freeSlots.append(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let previous = nodes[slot].previous
        let next = nodes[slot].next
        if previous >= 0 { nodes[previous].next = next } else { head = next }
        if next >= 0 { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = -1
        nodes[slot].next = -1
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        nodes[slot].next = head
        if head >= 0 { nodes[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}

extension LRUByteStore: Sendable where Key: Sendable, Value: Sendable {}
extension LRUByteStore.Node: Sendable where Key: Sendable, Value: Sendable {}
