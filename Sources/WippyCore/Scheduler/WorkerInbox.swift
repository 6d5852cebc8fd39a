public import Synchronization

/// The one place other threads hand work to a worker: a lock-free multi-producer, single-consumer queue the
/// worker drains in batches, plus a condition variable it parks on.
///
/// The queue is a stack of nodes: a producer links its node in front with one compare-and-swap, and the
/// worker takes the whole stack with one exchange, then reverses it into posting order. A sender on another
/// worker therefore never waits for a lock the receiving worker holds (it may be draining, or preempted
/// while holding it), and the worker pays one atomic operation per batch, not per event. Removing everything
/// at once is also why the stack has no ABA problem: nodes are never popped one by one.
///
/// Parking is a store-then-load handshake on both sides (sequentially consistent): the worker raises
/// `sleeping`, then looks at the stack once more before it waits; a producer pushes, then reads `sleeping`.
/// Either the worker sees the new node, or the producer sees the flag, takes and drops the mutex (which the
/// worker holds from before raising the flag until the wait releases it) and signals, so no wake-up is lost.
///
/// `@unchecked Sendable`: nodes are handed over through the atomic head (release on push, acquire on
/// drain); the condition variable is only used with its mutex held.
@usableFromInline
final class WorkerInbox: @unchecked Sendable {
    // Usable from inlinable code (with `head`): `hasPending` is on the path of every same-worker switch
    // (``Worker/mayRunNext(_:)``), which the runtime module calls.
    @usableFromInline struct Node {
        var event: WorkerEvent
        var next: UnsafeMutablePointer<Node>?
    }

    /// The most recently posted node (the stack's top), nil when empty.
    @usableFromInline let head: Atomic<UnsafeMutablePointer<Node>?> = Atomic(nil)
    /// True while the worker is parked or about to park (set and cleared with `sync` locked).
    private let sleeping = Atomic<Bool>(false)
    private let sync = MonotonicCondition()

    init() {}

    deinit {
        var node = head.exchange(nil, ordering: .acquiring)
        while let current = node {
            node = current.pointee.next
            current.deinitialize(count: 1)
            current.deallocate()
        }
    }

    /// Adds an event and wakes the worker if it is parked.
    func post(_ event: consuming WorkerEvent) {
        let node = UnsafeMutablePointer<Node>.allocate(capacity: 1)
        node.initialize(to: Node(event: event, next: nil))
        push(top: node, bottom: node)
    }

    /// Adds several events at once (one compare-and-swap for all of them), in order.
    func post(contentsOf batch: [WorkerEvent]) {
        guard let first = batch.first else { return }
        // The chain is built newest first, as single posts would have stacked them.
        let bottom = UnsafeMutablePointer<Node>.allocate(capacity: 1)
        bottom.initialize(to: Node(event: first, next: nil))
        var top = bottom
        for event in batch.dropFirst() {
            let node = UnsafeMutablePointer<Node>.allocate(capacity: 1)
            node.initialize(to: Node(event: event, next: top))
            top = node
        }
        push(top: top, bottom: bottom)
    }

    private func push(top: UnsafeMutablePointer<Node>, bottom: UnsafeMutablePointer<Node>) {
        var current = head.load(ordering: .relaxed)
        while true {
            bottom.pointee.next = current
            let (exchanged, original) = head.compareExchange(
                expected: current, desired: top, ordering: .sequentiallyConsistent)
            if exchanged { break }
            current = original
        }
        if sleeping.load(ordering: .sequentiallyConsistent) {
            // Taking the mutex orders this with the worker's look at the stack: it holds the mutex from
            // raising the flag until its wait releases it, so once the mutex is had the worker waits (or
            // has seen the node). The signal comes after the unlock: signalled under the mutex, the woken
            // worker would at once block on the mutex this thread still holds (seen under strace as a
            // futex wait and a second wake per hand-over).
            sync.lock()
            sync.unlock()
            sync.signal()
        }
    }

    /// True when events are waiting.
    @inlinable var hasPending: Bool { head.load(ordering: .acquiring) != nil }

    /// Takes every posted event and hands each to `body`, oldest first, moving it out of its node: no
    /// intermediate array, so an event is neither copied (a retain of its payload and cell) nor destroyed
    /// twice. A hop between workers is usually a batch of one, where the array's append, copy and clearing
    /// cost more than the queue itself. What is posted while `body` runs waits for the next drain.
    @inline(__always)
    func drain(_ body: (consuming WorkerEvent) -> Void) {
        var node = head.exchange(nil, ordering: .acquiringAndReleasing)
        guard node != nil else { return }
        // Reverse the stack into posting order.
        var ordered: UnsafeMutablePointer<Node>?
        while let current = node {
            node = current.pointee.next
            current.pointee.next = ordered
            ordered = current
        }
        while let current = ordered {
            ordered = current.pointee.next
            let event = current.move().event
            current.deallocate()
            body(event)
        }
    }

    /// Moves every posted event into `buffer`, oldest first.
    func drain(into buffer: inout [WorkerEvent]) {
        drain { buffer.append($0) }
    }

    /// Parks the calling worker until an event is posted or `deadline` (monotonic nanoseconds, nil = none).
    /// Returns false when it waited until the deadline passed.
    @discardableResult
    func park(until deadline: UInt64?) -> Bool {
        var woken = true
        sync.lock()
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if head.load(ordering: .sequentiallyConsistent) == nil {
            if let deadline {
                woken = sync.wait(until: deadline)
            } else {
                sync.wait()
            }
        }
        sleeping.store(false, ordering: .sequentiallyConsistent)
        sync.unlock()
        return woken
    }
}

/// Work handed to a worker from another thread.
@usableFromInline
enum WorkerEvent {
    case start(ProcessCell)
    /// Not-yet-started processes a busy peer handed over (their start was counted there).
    case adopt([ProcessCell])
    case deliver(ProcessCell, MailboxItem)
    case complete(ProcessCell, token: UInt64, Completion)
    case terminate(ProcessCell, ProcessResult)
    case perform(@Sendable (Worker) -> Void)
    case shutdown(graceful: UInt64)
    case stop
}
