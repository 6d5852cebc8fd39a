import DequeModule
import WippyLua

/// A FIFO of channel waiters that keeps the first one inline: most channels have at most one waiter, so they
/// never allocate queue storage.
///
/// The waiter the C hand-off may wake (a task blocked alone in a plain receive on its process's inbox, see
/// LuaProcess+HandOff) is *parked*: kept unretained, with its token, instead of as a ``LuaChannel/Waiter``.
/// Parking and the hand-off's drop then cost two stores each, where a waiter costs a retain and a release of
/// its task on every same-worker message. The process keeps its tasks alive while it lives (and forgets a
/// parked waiter when it is discarded, ``forgetParked()``), so the reference stays valid. Every other use
/// sees the parked waiter as the first one: the mutating ones turn it into a plain waiter first (`settle`).
struct WaiterQueue {
    private var first: LuaChannel.Waiter?
    private var rest = Deque<LuaChannel.Waiter>()
    /// The parked waiter's task (only ever the sole waiter) and its token.
    private var parked: Unmanaged<LuaTask>?
    private var parkedToken: UInt64 = 0

    var isEmpty: Bool { first == nil && parked == nil }
    var count: Int { parked != nil ? 1 : (first == nil ? 0 : 1 + rest.count) }

    /// Parks `task`, blocked with `token` alone on the channel (no other waiter), unretained.
    @inline(__always)
    mutating func park(_ task: LuaTask, token: UInt64) {
        assert(isEmpty)
        parked = Unmanaged.passUnretained(task)
        parkedToken = token
    }

    /// The parked waiter as a plain one (retained from now on), at the front.
    private mutating func settle() {
        guard let task = parked else { return }
        first = LuaChannel.Waiter(task: task.takeUnretainedValue(), token: parkedToken, caseIndex: 0, value: .none)
        parked = nil
    }

    mutating func append(_ waiter: LuaChannel.Waiter) {
        settle()
        if first == nil { first = waiter } else { rest.append(waiter) }
    }

    var firstWaiter: LuaChannel.Waiter? {
        if let task = parked {
            return LuaChannel.Waiter(task: task.takeUnretainedValue(), token: parkedToken, caseIndex: 0, value: .none)
        }
        return first
    }

    mutating func popFirst() -> LuaChannel.Waiter? {
        settle()
        guard let head = first else { return nil }
        first = rest.popFirst()
        return head
    }

    mutating func removeFirst() { _ = popFirst() }

    /// Drops the waiters at the front whose task no longer waits on their request (a select that completed
    /// elsewhere, a dead task). A parked waiter is checked without retaining its task.
    mutating func dropStale() {
        if let task = parked {
            let token = parkedToken
            if task._withUnsafeGuaranteedRef({ $0.isWaiting(on: token) }) { return }
            parked = nil
            return
        }
        while let head = first, !head.task.isWaiting(on: head.token) { removeFirst() }
    }

    /// Removes the only waiter (the C hand-off's: it is armed only for a waiter that waits alone), without
    /// touching the rest: the parked one, or the plain one it became.
    @inline(__always)
    mutating func dropSoleWaiter() {
        if parked != nil {
            parked = nil
            return
        }
        assert(rest.isEmpty && first != nil)
        first = nil
    }

    /// Forgets a parked waiter without looking at its task: for a process being discarded, whose tasks may
    /// be reused by others.
    mutating func forgetParked() { parked = nil }

    /// Puts back a waiter taken with ``popFirst()`` (it becomes the first again).
    mutating func pushFront(_ waiter: LuaChannel.Waiter) {
        settle()
        if let head = first { rest.prepend(head) }
        first = waiter
    }
}

extension WaiterQueue: Sequence {
    func makeIterator() -> AnyIterator<LuaChannel.Waiter> {
        var head = firstWaiter
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
