/// A worker's timers: a wheel of ``slotCount`` slots of ``slotNanoseconds`` each for the deadlines of the
/// next ~67 ms (most sleeps and receive timeouts), over a ``TimerHeap`` for later ones.
///
/// A heap pays a sift through its levels on every timer (about 300 instructions and a few cache misses per
/// sleep with 10 000 sleepers: the largest part of a sleep's cost in the scheduler); a wheel slot is a
/// list, so arming appends and firing takes the head. The price is resolution: a timer fires once its whole
/// slot has passed, so up to one slot (32.8 µs) after its deadline, never before it. Timers of one slot
/// fire in the order they were armed; slots fire in time order, so equal deadlines stay first-in,
/// first-out, and earlier slots always fire first. A deadline in the past lands in the earliest open slot.
///
/// Entries hold their process retained by hand (`Unmanaged`) and live in one node array linked by index,
/// reused through a free list: no allocation per timer once the array has grown to the burst's size. The
/// storage is raw memory the wheel owns (it is not copyable): Swift arrays here cost a uniqueness check and
/// a retain and release of their buffer on each access from the worker's field, which took back what the
/// wheel saved over the heap.
/// Time is passed in, never read here, so the wheel is tested without clocks or threads.
struct TimerWheel: ~Copyable {
    static let slotShift: UInt64 = 15
    static let slotNanoseconds: UInt64 = 1 << slotShift
    static let slotCount = 2048
    private static let slotMask = UInt64(slotCount - 1)

    private struct Node {
        var cell: Unmanaged<ProcessCell>?
        var token: UInt64
        var next: Int32
    }

    private var nodes: UnsafeMutablePointer<Node>
    private var nodeCapacity = 0
    private var nodeCount = 0
    private var freeNode: Int32 = -1
    /// Per slot, the first and last node of its list (-1: empty).
    private let heads: UnsafeMutablePointer<Int32>
    private let tails: UnsafeMutablePointer<Int32>
    /// One bit per slot that holds a timer.
    private let occupied: UnsafeMutablePointer<UInt64>
    /// The earliest slot (absolute: deadline >> slotShift) that has not fired. Every wheel entry's slot is in
    /// `cursor ..< cursor + slotCount`; after ``popDueRetained(now:)`` every heap entry's slot is past that range.
    private var cursor: UInt64 = 0
    private var nearCount = 0
    private var far = TimerHeap()

    init() {
        nodes = .allocate(capacity: 0)
        heads = .allocate(capacity: TimerWheel.slotCount)
        heads.initialize(repeating: -1, count: TimerWheel.slotCount)
        tails = .allocate(capacity: TimerWheel.slotCount)
        tails.initialize(repeating: -1, count: TimerWheel.slotCount)
        occupied = .allocate(capacity: TimerWheel.slotCount / 64)
        occupied.initialize(repeating: 0, count: TimerWheel.slotCount / 64)
    }

    deinit {
        for index in 0..<nodeCount { nodes[index].cell?.release() }
        nodes.deallocate()
        heads.deallocate()
        tails.deallocate()
        occupied.deallocate()
    }

    var isEmpty: Bool { nearCount == 0 && far.isEmpty }
    var count: Int { nearCount + far.count }

    /// When the next timer may fire: the end of the earliest occupied slot (a worker parked until then finds
    /// it due), or, with only later timers, the end of the heap's earliest one's slot.
    var earliest: UInt64? {
        if nearCount > 0, let slot = firstOccupied(from: cursor, before: cursor &+ UInt64(TimerWheel.slotCount)) {
            return (slot &+ 1) << TimerWheel.slotShift
        }
        return far.earliest.map { (($0 >> TimerWheel.slotShift) &+ 1) << TimerWheel.slotShift }
    }

    mutating func insert(deadline: UInt64, process: ProcessCell, token: UInt64) {
        let slot = max(deadline >> TimerWheel.slotShift, cursor)
        guard slot < cursor &+ UInt64(TimerWheel.slotCount) else {
            far.insert(deadline: deadline, process: process, token: token)
            return
        }
        append(Node(cell: .passRetained(process), token: token, next: -1), slot: slot)
    }

    /// Removes and returns the next timer whose slot has passed at `now`, if any, with its process still
    /// retained by hand: the caller owns that reference (the worker moves it into its run queue).
    mutating func popDueRetained(now: UInt64) -> (cell: Unmanaged<ProcessCell>, token: UInt64)? {
        let limit = now >> TimerWheel.slotShift  // slots before it have passed
        while true {
            if nearCount == 0 {
                // Nothing near: move the cursor up to now (or to the heap's earliest, if that is before).
                let farSlot = far.earliest.map { $0 >> TimerWheel.slotShift } ?? limit
                cursor = max(cursor, min(limit, farSlot))
                migrate()
                if nearCount == 0 { return nil }
            }
            guard cursor < limit else { return nil }
            let index = Int(cursor & TimerWheel.slotMask)
            let head = heads[index]
            if head >= 0 {
                let node = nodes[Int(head)]
                heads[index] = node.next
                if node.next < 0 {
                    tails[index] = -1
                    occupied[index >> 6] &= ~(1 << UInt64(index & 63))
                }
                nodes[Int(head)].cell = nil
                nodes[Int(head)].next = freeNode
                freeNode = head
                nearCount -= 1
                return (node.cell!, node.token)
            }
            // This slot is done: on to the next occupied one (or up to now), taking in what comes in range.
            cursor = firstOccupied(from: cursor &+ 1, before: limit) ?? limit
            migrate()
        }
    }

    /// Moves the heap's timers that now fall in the wheel's range into their slots.
    private mutating func migrate() {
        let end = cursor &+ UInt64(TimerWheel.slotCount)
        while let earliest = far.earliest, earliest >> TimerWheel.slotShift < end,
            let due = far.popDue(now: earliest)
        {
            let slot = max(earliest >> TimerWheel.slotShift, cursor)
            append(Node(cell: .passRetained(due.process), token: due.token, next: -1), slot: slot)
        }
    }

    private mutating func append(_ node: Node, slot: UInt64) {
        let index = Int(slot & TimerWheel.slotMask)
        let position: Int32
        if freeNode >= 0 {
            position = freeNode
            freeNode = nodes[Int(position)].next
            nodes[Int(position)] = node
        } else {
            if nodeCount == nodeCapacity { growNodes() }
            position = Int32(nodeCount)
            (nodes + nodeCount).initialize(to: node)
            nodeCount += 1
        }
        let tail = tails[index]
        if tail >= 0 {
            nodes[Int(tail)].next = position
        } else {
            heads[index] = position
            occupied[index >> 6] |= 1 << UInt64(index & 63)
        }
        tails[index] = position
        nearCount += 1
    }

    private mutating func growNodes() {
        let capacity = max(64, nodeCapacity * 2)
        let grown = UnsafeMutablePointer<Node>.allocate(capacity: capacity)
        grown.moveInitialize(from: nodes, count: nodeCount)
        nodes.deallocate()
        nodes = grown
        nodeCapacity = capacity
    }

    /// The first occupied slot in `from ..< before` (absolute slots, a range of at most ``slotCount``).
    private func firstOccupied(from: UInt64, before: UInt64) -> UInt64? {
        var slot = from
        while slot < before {
            let index = Int(slot & TimerWheel.slotMask)
            // The rest of this word from `index` on, without the bits below it.
            let bits = occupied[index >> 6] >> UInt64(index & 63)
            if bits != 0 {
                let found = slot &+ UInt64(bits.trailingZeroBitCount)
                return found < before ? found : nil
            }
            slot = slot &+ UInt64(64 - (index & 63))
        }
        return nil
    }
}
