/// A binary min-heap of timers keyed by deadline (monotonic ns), FIFO among equal deadlines.
struct TimerHeap {
    struct Timer {
        var deadline: UInt64
        var sequence: UInt64
        var process: ProcessCell
        var token: UInt64
    }

    private var items: [Timer] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var earliest: UInt64? { items.first?.deadline }

    mutating func insert(deadline: UInt64, process: ProcessCell, token: UInt64) {
        nextSequence &+= 1
        items.append(Timer(deadline: deadline, sequence: nextSequence, process: process, token: token))
        siftUp(items.count - 1)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> Timer? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return first
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = items[a], y = items[b]
        return x.deadline < y.deadline || (x.deadline == y.deadline && x.sequence < y.sequence)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = items.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var smallest = left
            if left + 1 < count && less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, parent) else { return }
            items.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
