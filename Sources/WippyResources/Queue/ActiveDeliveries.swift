public import WippyCore
import Synchronization

/// A delivery while its handler runs: what `queue.message()` finds for the handler's invocation, marked
/// released when the handler ends (its Message methods then fail with "queue.Message released").
public final class ActiveDelivery: Sendable {
    public let delivery: QueueDelivery
    private let releasedFlag = Atomic<Bool>(false)

    public init(_ delivery: QueueDelivery) { self.delivery = delivery }

    public var isReleased: Bool { releasedFlag.load(ordering: .acquiring) }

    public func release() { releasedFlag.store(true, ordering: .releasing) }
}

/// The deliveries being handled, by the handler invocation's process: registered by a `queue.consumer`
/// before it starts the handler, looked up by `queue.message()`.
public enum ActiveDeliveries {
    public static let shared = InvocationTable<ActiveDelivery>()
}
