public import WippyCore
import Synchronization

/// The `queue.driver.memory` resource: named in-process buffers, made on first use by the `queue.queue`
/// entries bound to it (two queue entries with the same `queue_name` share a buffer). Messages live as long
/// as the driver: they are lost when the application stops.
public final class MemoryQueueDriver: Resource {
    public static let kindName = "queue.driver.memory"
    public let kind = MemoryQueueDriver.kindName
    private let queues = Mutex<[String: MemoryQueue]>([:])

    public init() {}

    /// The buffer `name`, made with `maxLength` when new; an existing one takes the new `maxLength`.
    public func queue(named name: String, maxLength: Int) -> MemoryQueue {
        queues.withLock { queues in
            if let queue = queues[name] {
                queue.maxLength = maxLength
                return queue
            }
            let queue = MemoryQueue(name: name, maxLength: maxLength)
            queues[name] = queue
            return queue
        }
    }

    public func close() {
        let all = queues.withLock { queues in
            defer { queues = [:] }
            return Array(queues.values)
        }
        for queue in all { queue.close() }
    }
}
