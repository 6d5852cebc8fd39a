/// A map from PID counter to live cell: open addressing with linear probing and backward-shift deletion,
/// hashed with one multiplication (Fibonacci hashing).
///
/// Every spawn inserts once and every exit removes once, and messages look cells up: with `Dictionary` the
/// SipHash of the key cost more than the rest of the table work. Counters are mostly sequential, which a
/// multiplicative hash spreads evenly. Not thread-safe: ``ProcessTable`` guards each map with its shard lock.
struct CellMap {
    private var keys: [UInt64]
    /// nil marks an empty slot (any counter value, 0 included, may be a key).
    private var cells: [ProcessCell?]
    private(set) var count = 0
    private var mask: Int
    private var shift: UInt64

    private static let minimumCapacity = 16

    init() {
        keys = [UInt64](repeating: 0, count: CellMap.minimumCapacity)
        cells = [ProcessCell?](repeating: nil, count: CellMap.minimumCapacity)
        mask = CellMap.minimumCapacity - 1
        shift = UInt64(64 - CellMap.minimumCapacity.trailingZeroBitCount)
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    subscript(key: UInt64) -> ProcessCell? {
        var index = home(key)
        while let cell = cells[index] {
            if keys[index] == key { return cell }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Adds or replaces the cell of `key`.
    mutating func insert(_ cell: ProcessCell, for key: UInt64) {
        if (count + 1) * 4 > cells.count * 3 { resize(to: cells.count * 2) }
        var index = home(key)
        while cells[index] != nil {
            if keys[index] == key {
                cells[index] = cell
                return
            }
            index = (index + 1) & mask
        }
        keys[index] = key
        cells[index] = cell
        count += 1
    }

    /// Removes the cell of `key`, if any.
    mutating func remove(_ key: UInt64) {
        var hole = home(key)
        while true {
            guard cells[hole] != nil else { return }
            if keys[hole] == key { break }
            hole = (hole + 1) & mask
        }
        // Backward shift: pull later entries of the probe run into the hole when the hole is no farther from
        // their home slot than where they are, so every run stays unbroken without tombstones.
        var next = (hole + 1) & mask
        while cells[next] != nil {
            let distance = (next - home(keys[next])) & mask
            if distance >= (next - hole) & mask {
                keys[hole] = keys[next]
                cells[hole] = cells[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        cells[hole] = nil
        count -= 1
        // Never shrinks (as `Dictionary` does not): workloads that fill and drain the table in rounds would
        // otherwise pay a rehash of every live cell each round.
    }

    /// Every cell, in no particular order.
    func forEach(_ body: (ProcessCell) -> Void) {
        for case let cell? in cells { body(cell) }
    }

    private mutating func resize(to capacity: Int) {
        let oldKeys = keys
        let oldCells = cells
        keys = [UInt64](repeating: 0, count: capacity)
        cells = [ProcessCell?](repeating: nil, count: capacity)
        mask = capacity - 1
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        count = 0
        for index in oldCells.indices {
            guard let cell = oldCells[index] else { continue }
            var slot = home(oldKeys[index])
            while cells[slot] != nil { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            cells[slot] = cell
            count += 1
        }
    }
}
