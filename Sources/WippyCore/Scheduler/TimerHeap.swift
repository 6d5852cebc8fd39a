/// A 4-ary min-heap of timers keyed by deadline (monotonic ns), FIFO among equal deadlines: the timers a
/// worker's ``TimerWheel`` holds beyond its range.
///
/// Entries hold their process retained by hand (`Unmanaged`), so moving them around the heap is a plain copy
/// with no reference counting; the heap releases what it still holds when it goes away.
struct TimerHeap: ~Copyable {
    struct Timer {
        var deadline: UInt64
        var sequence: UInt64
        var cell: Unmanaged<ProcessCell>
        var token: UInt64

        @inline(__always)
        func precedes(_ other: Timer) -> Bool {
            deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence)
        }
    }

    /// A timer taken out of the heap; owns the process reference again.
    struct Due {
        let process: ProcessCell
        let token: UInt64
    }

    private var items: [Timer] = []
    private var nextSequence: UInt64 = 0

    init() {}

    deinit {
        for item in items { item.cell.release() }
    }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var earliest: UInt64? { items.first?.deadline }

    mutating func insert(deadline: UInt64, process: ProcessCell, token: UInt64) {
        nextSequence &+= 1
        let timer = Timer(deadline: deadline, sequence: nextSequence, cell: .passRetained(process), token: token)
        items.append(timer)
        items.withUnsafeMutableBufferPointer { heap in
            var hole = heap.count - 1
            while hole > 0 {
                let parent = (hole - 1) >> 2
                guard timer.precedes(heap[parent]) else { break }
                heap[hole] = heap[parent]
                hole = parent
            }
            heap[hole] = timer
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> Due? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items.withUnsafeMutableBufferPointer { heap in
                let count = heap.count
                var hole = 0
                while true {
                    let firstChild = 4 * hole + 1
                    guard firstChild < count else { break }
                    var smallest = firstChild
                    let end = min(firstChild + 4, count)
                    var child = firstChild + 1
                    while child < end {
                        if heap[child].precedes(heap[smallest]) { smallest = child }
                        child += 1
                    }
                    guard heap[smallest].precedes(last) else { break }
                    heap[hole] = heap[smallest]
                    hole = smallest
                }
                heap[hole] = last
            }
        }
        return Due(process: first.cell.takeRetainedValue(), token: first.token)
    }
}
