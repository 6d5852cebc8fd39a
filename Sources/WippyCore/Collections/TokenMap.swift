/// A map keyed by the small integer tokens and sequence numbers a process or a workflow run hands out
/// (timers, completions, activities in flight), for the usual case of a handful of entries.
///
/// Up to ``linearLimit`` entries live in one array searched from its end (newest first), which costs a few
/// comparisons where a `Dictionary` hashes the key with SipHash on every access: profiled with callgrind,
/// the hashing of such tables was about 2 % of a workflow step's instructions. Past the limit the entries
/// move into a `Dictionary`, so a process with thousands of requests in flight stays fast; they move back
/// once it is empty again. Order is not kept (as with a `Dictionary`).
public struct TokenMap<Value> {
    /// How many entries the array holds before the map switches to hashing.
    public static var linearLimit: Int { 16 }

    private var keys: [UInt64] = []
    private var values: [Value] = []
    private var table: [UInt64: Value]?

    public init() {}

    public var isEmpty: Bool { table?.isEmpty ?? keys.isEmpty }
    public var count: Int { table?.count ?? keys.count }

    public subscript(key: UInt64) -> Value? {
        get {
            if let table { return table[key] }
            guard let index = position(of: key) else { return nil }
            return values[index]
        }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            if table != nil {
                table![key] = newValue
            } else if let index = position(of: key) {
                values[index] = newValue
            } else if keys.count < Self.linearLimit {
                keys.append(key)
                values.append(newValue)
            } else {
                var moved = Dictionary(uniqueKeysWithValues: zip(keys, values))
                moved[key] = newValue
                keys.removeAll()
                values.removeAll()
                table = moved
            }
        }
    }

    /// Removes the entry for `key` and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: UInt64) -> Value? {
        if table != nil {
            let removed = table!.removeValue(forKey: key)
            if table!.isEmpty { table = nil }
            return removed
        }
        guard let index = position(of: key) else { return nil }
        // The last entry takes the removed one's place: no shifting (order is not kept).
        keys.swapAt(index, keys.count - 1)
        values.swapAt(index, values.count - 1)
        keys.removeLast()
        return values.removeLast()
    }

    public mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        table = nil
    }

    /// Every entry, in no particular order.
    public var entries: [(key: UInt64, value: Value)] {
        if let table { return table.map { ($0.key, $0.value) } }
        return zip(keys, values).map { ($0, $1) }
    }

    /// Whether the entries moved into a `Dictionary` (tests).
    public var isHashed: Bool { table != nil }

    private func position(of key: UInt64) -> Int? {
        var index = keys.count - 1
        while index >= 0 {
            if keys[index] == key { return index }
            index -= 1
        }
        return nil
    }
}

extension TokenMap: Sendable where Value: Sendable {}
