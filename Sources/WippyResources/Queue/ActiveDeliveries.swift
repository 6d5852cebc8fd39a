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

/// The deliveries being handled, by the handler invocation's process (a node and a PID): registered by a
/// `queue.consumer` before it starts the handler, looked up by `queue.message()`.
public final class ActiveDeliveries: Sendable {
    public struct Key: Hashable, Sendable {
        public let node: ObjectIdentifier
        public let pid: PID

        public init(node: ObjectIdentifier, pid: PID) {
            self.node = node
            self.pid = pid
        }
    }

    public static let shared = ActiveDeliveries()
    private let table = Mutex<[Key: ActiveDelivery]>([:])

    public func register(_ key: Key, _ delivery: ActiveDelivery) { table.withLock { $0[key] = delivery } }

    public func remove(_ key: Key) { _ = table.withLock { $0.removeValue(forKey: key) } }

    public func delivery(_ key: Key) -> ActiveDelivery? { table.withLock { $0[key] } }
}
