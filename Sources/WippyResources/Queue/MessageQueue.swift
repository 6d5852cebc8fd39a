public import WippyCore
import Foundation

/// The `queue.queue` resource: a logical queue bound to its driver's buffer. Holds a lease on the driver
/// entry's resource for as long as it is open.
public final class MessageQueue: Resource {
    public static let kindName = "queue.queue"
    public let kind = MessageQueue.kindName
    public let id: EntryID
    public let buffer: MemoryQueue
    private let driverLease: ResourceLease?

    public init(id: EntryID, buffer: MemoryQueue, driverLease: ResourceLease?) {
        self.id = id
        self.buffer = buffer
        self.driverLease = driverLease
    }

    /// Publishes `body` with `headers`; see ``MemoryQueue/publish(_:published:)``.
    public func publish(_ body: Payload, headers: [String: Payload], published: @escaping MemoryQueue.Published) throws(WippyError) -> Bool {
        let message = QueueMessage(id: UUID().uuidString.lowercased(), body: body, headers: headers)
        return try buffer.publish(message, published: published)
    }

    public func close() { driverLease?.release() }
}
