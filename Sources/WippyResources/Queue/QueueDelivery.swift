public import WippyCore
import Synchronization

/// One message handed to a consumer, to settle exactly once: ``ack()`` removes it from the queue, ``nack()``
/// puts it back at the tail for redelivery. The first settle wins; a second fails with `Invalid`
/// ("queue.Message already settled"). Thread-safe.
public final class QueueDelivery: Sendable {
    public let message: QueueMessage
    let queue: MemoryQueue
    let subscriber: UInt64
    private let settled = Atomic<Bool>(false)

    init(message: QueueMessage, queue: MemoryQueue, subscriber: UInt64) {
        self.message = message
        self.queue = queue
        self.subscriber = subscriber
    }

    public var isSettled: Bool { settled.load(ordering: .acquiring) }

    public func ack() throws(WippyError) { try settle(requeue: false) }

    public func nack() throws(WippyError) { try settle(requeue: true) }

    /// Settles unless already settled; returns whether this call did.
    @discardableResult
    public func settleIfPending(requeue: Bool) -> Bool {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        queue.settled(self, requeue: requeue)
        return true
    }

    private func settle(requeue: Bool) throws(WippyError) {
        guard settleIfPending(requeue: requeue) else { throw WippyError.invalid("queue.Message already settled") }
    }
}
