import DequeModule

/// A FIFO of channel waiters that keeps the first one inline: most channels have at most one waiter, so they
/// never allocate queue storage.
struct WaiterQueue {
    private var first: LuaChannel.Waiter?
    private var rest = Deque<LuaChannel.Waiter>()

    var isEmpty: Bool { first == nil }
    var count: Int { first == nil ? 0 : 1 + rest.count }

    mutating func append(_ waiter: LuaChannel.Waiter) {
        if first == nil { first = waiter } else { rest.append(waiter) }
    }

    var firstWaiter: LuaChannel.Waiter? { first }

    mutating func popFirst() -> LuaChannel.Waiter? {
        guard let head = first else { return nil }
        first = rest.popFirst()
        return head
    }

    mutating func removeFirst() { _ = popFirst() }

    /// Removes the only waiter (the C hand-off's: it is armed only for a waiter that waits alone), without
    /// touching the rest.
    @inline(__always)
    mutating func dropSoleWaiter() {
        assert(rest.isEmpty && first != nil)
        first = nil
    }

    /// Puts back a waiter taken with ``popFirst()`` (it becomes the first again).
    mutating func pushFront(_ waiter: LuaChannel.Waiter) {
        if let head = first { rest.prepend(head) }
        first = waiter
    }
}

extension WaiterQueue: Sequence {
    func makeIterator() -> AnyIterator<LuaChannel.Waiter> {
        var head = first
        var iterator = rest.makeIterator()
        return AnyIterator {
            if let current = head {
                head = nil
                return current
            }
            return iterator.next()
        }
    }
}
