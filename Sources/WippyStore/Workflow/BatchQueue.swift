import Foundation

/// Items that any thread queues and one consumer thread takes in batches: everything queued at once, the
/// consumer waiting while there is nothing. The SQLite journal writer takes its submissions this way, and its
/// syncer the batches the writer committed.
///
/// Closing refuses new items and lets the consumer take what is left; ``take()`` then answers nil, the
/// consumer does what its end needs and calls ``finish()``, which is what ``close()`` waits for.
///
/// Thread safety: every field is guarded by `condition`. Hence `@unchecked Sendable`.
final class BatchQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closing = false
    private var finished = false
    /// Set by ``hold()``: the consumer takes nothing until it is cleared (or the queue closes).
    private var held = false
    /// True from a ``take()`` that returned a batch until the consumer's next ``take()``.
    private var consuming = false

    /// Queues `item`; false (nothing queued) once the queue is closing.
    @discardableResult
    func append(_ item: Element) -> Bool {
        condition.lock()
        guard !closing else {
            condition.unlock()
            return false
        }
        items.append(item)
        let wakes = items.count == 1
        condition.unlock()
        // Signalled after the unlock, so the woken consumer does not at once block on the lock held here.
        if wakes { condition.signal() }
        return true
    }

    /// Everything queued, waiting until there is something; nil once the queue is closing and empty. Only
    /// the consumer calls it.
    func take() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        consuming = false
        while (items.isEmpty || held) && !closing { condition.wait() }
        if items.isEmpty { return nil }
        let batch = items
        items = []
        consuming = true
        return batch
    }

    /// Whether nothing is queued.
    var isEmpty: Bool {
        condition.lock()
        defer { condition.unlock() }
        return items.isEmpty
    }

    /// Whether nothing is queued and the consumer is not working on a batch it took.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return items.isEmpty && !consuming
    }

    /// Whether the consumer has finished (``finish()``).
    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    /// Keeps the consumer from taking its next batch until the returned function is called, so that what is
    /// queued meanwhile is taken as one batch (closing lifts it).
    func hold() -> @Sendable () -> Void {
        condition.lock()
        held = true
        condition.unlock()
        return { [self] in
            condition.lock()
            held = false
            condition.unlock()
            condition.signal()
        }
    }

    /// Refuses new items and waits until the consumer has taken the rest and called ``finish()``.
    func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    /// Called by the consumer once ``take()`` answered nil and its own end is done.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
