import Logging
import Synchronization
import WippyCore

/// The bus side of an `events.subscribe` subscription: posts each matching event to the subscribing
/// process's mailbox, never blocking the bus.
///
/// At most ``pendingLimit`` events may be on their way to the process or waiting in its mailbox, not yet
/// received from the subscription channel. Beyond that the bus's events for this subscription are dropped
/// (the bus counts them, ``EventSubscription/dropped``) and a warning is logged once per burst of drops: a
/// subscriber that does not keep up loses events instead of growing its mailbox without bound or slowing
/// anyone else. Once routed into the mailbox an event is never lost.
final class EventForwarder: EventReceiver, Sendable {
    /// The reserved topic of forwarded events in a mailbox (no user message can have an `@` topic).
    static let topic = "@pid/bus"
    static let pendingLimit = 1024
    private static let counter = Atomic<UInt64>(0)

    /// Tags this subscription's items in the mailbox.
    let id: UInt64
    let cell: ProcessCell
    let systemPattern: String
    private let logger: Logger
    private let pending = Atomic<Int>(0)
    private let dropping = Atomic<Bool>(false)

    init(cell: ProcessCell, systemPattern: String, logger: Logger) {
        self.id = Self.counter.add(1, ordering: .relaxed).newValue
        self.cell = cell
        self.systemPattern = systemPattern
        self.logger = logger
    }

    func receive(_ event: BusEvent) -> Bool {
        guard pending.add(1, ordering: .relaxed).newValue <= Self.pendingLimit else {
            pending.subtract(1, ordering: .relaxed)
            if !dropping.exchange(true, ordering: .relaxed) {
                logger.warning(
                    "events subscription is not keeping up: dropping events until it catches up",
                    metadata: [
                        "pid": .string(cell.pid.description), "system": .string(systemPattern),
                        "pending": .stringConvertible(Self.pendingLimit),
                    ])
            }
            return false
        }
        if dropping.load(ordering: .relaxed) { dropping.store(false, ordering: .relaxed) }
        let payloads: [Payload] = [.int(Int64(bitPattern: id)), .string(event.system), .string(event.kind), .string(event.path), event.data]
        cell.worker.deliver(.message(Message(from: nil, topic: Self.topic, payloads: payloads)), to: cell)
        return true
    }

    /// The process received (or discarded) one forwarded event.
    func taken() {
        pending.subtract(1, ordering: .relaxed)
    }

    /// Events posted and not yet received.
    var pendingCount: Int { pending.load(ordering: .relaxed) }

    /// The subscription a mailbox item belongs to, if it is a forwarded event.
    static func subscriptionID(of message: Message) -> UInt64? {
        guard message.from == nil, message.topic == topic, case .int(let raw)? = message.payloads.first else { return nil }
        return UInt64(bitPattern: raw)
    }
}
