/// A map that keeps at most `capacity` keys, and at most `maximumWeight` in total weight, dropping the least
/// recently used keys first.
///
/// A plain value with no locking: owners that share one across threads keep it in a `Mutex`. Lookups and
/// inserts are O(1): the recency order is a doubly linked list threaded through an array of slots.
package struct LRUCache<Key: Hashable, Value> {
    private struct Slot {
        var key: Key
        var value: Value?
        var weight: Int
        var newer: Int
        var older: Int
    }

    let capacity: Int
    let maximumWeight: Int
    private var slots: [Slot] = []
    private var index: [Key: Int] = [:]
    private var freeSlots: [Int] = []
    /// Most and least recently used slots (-1 when empty).
    private var newest = -1
    private var oldest = -1
    package private(set) var totalWeight = 0

    package init(capacity: Int, maximumWeight: Int = .max) {
        self.capacity = max(1, capacity)
        self.maximumWeight = maximumWeight
    }

    package var count: Int { index.count }

    /// The value for `key`, which becomes the most recently used.
    package mutating func value(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        touch(slot)
        return slots[slot].value
    }

    /// Stores `value` under `key` as the most recently used, then drops the oldest keys while the cache is over
    /// its capacity or weight. A value heavier than `maximumWeight` is not kept at all.
    package mutating func insert(_ value: Value, for key: Key, weight: Int = 1) {
        if let slot = index[key] {
            totalWeight -= slots[slot].weight
            slots[slot].value = value
            slots[slot].weight = weight
            totalWeight += weight
            touch(slot)
        } else {
            guard weight <= maximumWeight else { return }
            let slot: Int
            let fresh = Slot(key: key, value: value, weight: weight, newer: -1, older: -1)
            if let reused = freeSlots.popLast() {
                slot = reused
                slots[slot] = fresh
            } else {
                slot = slots.count
                slots.append(fresh)
            }
            index[key] = slot
            totalWeight += weight
            linkAsNewest(slot)
        }
        while index.count > capacity || totalWeight > maximumWeight, oldest >= 0 {
            remove(slot: oldest)
        }
    }

    package mutating func removeAll() {
        slots = []
        index = [:]
        freeSlots = []
        newest = -1
        oldest = -1
        totalWeight = 0
    }

    private mutating func remove(slot: Int) {
        unlink(slot)
        index[slots[slot].key] = nil
        totalWeight -= slots[slot].weight
        slots[slot].value = nil
        freeSlots.append(slot)
    }

    private mutating func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let newer = slots[slot].newer
        let older = slots[slot].older
        if newer >= 0 { slots[newer].older = older } else { newest = older }
        if older >= 0 { slots[older].newer = newer } else { oldest = newer }
        slots[slot].newer = -1
        slots[slot].older = -1
    }

    private mutating func linkAsNewest(_ slot: Int) {
        slots[slot].older = newest
        slots[slot].newer = -1
        if newest >= 0 { slots[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
