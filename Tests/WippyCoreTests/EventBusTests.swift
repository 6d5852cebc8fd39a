import Synchronization
import Testing
import WippyCore

/// Records every event it takes; refuses events beyond `capacity` (nil: no limit).
final class RecordingReceiver: EventReceiver, Sendable {
    private let events = Mutex<[BusEvent]>([])
    private let capacity: Int?

    init(capacity: Int? = nil) { self.capacity = capacity }

    func receive(_ event: BusEvent) -> Bool {
        events.withLock { list in
            if let capacity, list.count >= capacity { return false }
            list.append(event)
            return true
        }
    }

    var received: [BusEvent] { events.withLock { $0 } }
    var paths: [String] { received.map(\.path) }
}

@Suite("Event bus")
struct EventBusTests {
    @Test("subscribers get matching events by system and kind, in send order")
    func matching() throws {
        let bus = EventBus()
        let all = RecordingReceiver()
        let registry = RecordingReceiver()
        let creates = RecordingReceiver()
        _ = try bus.subscribe(system: "", receiver: all)
        _ = try bus.subscribe(system: "registry", receiver: registry)
        _ = try bus.subscribe(system: "registry", kind: "entry.*", receiver: creates)
        bus.send(BusEvent(system: "registry", kind: "entry.create", path: "1"))
        bus.send(BusEvent(system: "process", kind: "process.start", path: "2"))
        bus.send(BusEvent(system: "registry", kind: "registry.commit", path: "3", data: .int(7)))
        #expect(all.paths == ["1", "2", "3"])
        #expect(registry.paths == ["1", "3"])
        #expect(creates.paths == ["1"])
        #expect(registry.received.last?.data == .int(7))
    }

    @Test("concurrent senders: every subscriber sees the same single order")
    func globalOrder() async throws {
        let bus = EventBus()
        let receivers = (0..<4).map { _ in RecordingReceiver() }
        for receiver in receivers { _ = try bus.subscribe(system: "t", receiver: receiver) }
        let senders = 4
        let perSender = 500
        await withTaskGroup(of: Void.self) { group in
            for s in 0..<senders {
                group.addTask {
                    for i in 0..<perSender { bus.send(BusEvent(system: "t", kind: "k", path: "\(s).\(i)")) }
                }
            }
        }
        let first = receivers[0].paths
        #expect(first.count == senders * perSender)
        for receiver in receivers.dropFirst() { #expect(receiver.paths == first) }
        // Each sender's own events stay in its send order.
        for s in 0..<senders {
            let own = first.filter { $0.hasPrefix("\(s).") }
            #expect(own == (0..<perSender).map { "\(s).\($0)" })
        }
    }

    @Test("send(contentsOf:) keeps a batch together")
    func batch() throws {
        let bus = EventBus()
        let receiver = RecordingReceiver()
        _ = try bus.subscribe(system: "**", receiver: receiver)
        bus.send(contentsOf: ["a", "b", "c"].map { BusEvent(system: "s", kind: "k", path: $0) })
        #expect(receiver.paths == ["a", "b", "c"])
    }

    @Test("an unsubscribed receiver gets nothing more")
    func unsubscribe() throws {
        let bus = EventBus()
        let receiver = RecordingReceiver()
        let subscription = try bus.subscribe(system: "s", receiver: receiver)
        bus.send(BusEvent(system: "s", kind: "k", path: "before"))
        bus.unsubscribe(subscription)
        bus.unsubscribe(subscription)
        bus.send(BusEvent(system: "s", kind: "k", path: "after"))
        #expect(receiver.paths == ["before"])
        #expect(bus.subscriberCount == 0)
    }

    @Test("the subscriber cap refuses one more, and frees a slot on unsubscribe")
    func cap() throws {
        let bus = EventBus()
        let receiver = RecordingReceiver()
        var subscriptions: [EventSubscription] = []
        for _ in 0..<EventBus.maximumSubscribers { subscriptions.append(try bus.subscribe(system: "s", receiver: receiver)) }
        #expect(throws: WippyError.self) { try bus.subscribe(system: "s", receiver: receiver) }
        bus.unsubscribe(subscriptions[0])
        _ = try bus.subscribe(system: "s", receiver: receiver)
        #expect(bus.subscriberCount == EventBus.maximumSubscribers)
    }

    @Test("a full receiver drops and counts while the others get every event")
    func slowSubscriber() throws {
        let bus = EventBus()
        let slow = RecordingReceiver(capacity: 3)
        let fast = RecordingReceiver()
        let slowSubscription = try bus.subscribe(system: "s", receiver: slow)
        let fastSubscription = try bus.subscribe(system: "s", receiver: fast)
        for i in 0..<10 { bus.send(BusEvent(system: "s", kind: "k", path: "\(i)")) }
        #expect(slow.paths == ["0", "1", "2"])
        #expect(slowSubscription.dropped == 7)
        #expect(fast.paths == (0..<10).map(String.init))
        #expect(fastSubscription.dropped == 0)
    }

    @Test("an EventQueue refuses events beyond its capacity")
    func queueCapacity() throws {
        let bus = EventBus()
        let queue = EventQueue(capacity: 2)
        let subscription = try bus.subscribe(system: "s", receiver: queue)
        for i in 0..<5 { bus.send(BusEvent(system: "s", kind: "k", path: "\(i)")) }
        #expect(queue.count == 2)
        #expect(subscription.dropped == 3)
        #expect(queue.next(timeout: .seconds(1))?.path == "0")
        #expect(queue.next(timeout: .seconds(1))?.path == "1")
        #expect(queue.next(timeout: .milliseconds(10)) == nil)
    }

    @Test("an interest follows the subscriptions whose system pattern matches it")
    func interest() throws {
        let bus = EventBus()
        let interest = bus.interest(inSystem: "process")
        #expect(bus.interest(inSystem: "process") === interest)
        #expect(!interest.isActive)
        let other = try bus.subscribe(system: "registry", receiver: RecordingReceiver())
        #expect(!interest.isActive)
        let wildcard = try bus.subscribe(system: "(process|registry)", receiver: RecordingReceiver())
        #expect(interest.isActive)
        let exact = try bus.subscribe(system: "process", receiver: RecordingReceiver())
        bus.unsubscribe(wildcard)
        #expect(interest.isActive)
        bus.unsubscribe(exact)
        #expect(!interest.isActive)
        bus.unsubscribe(other)
        let everything = try bus.subscribe(system: "", receiver: RecordingReceiver())
        #expect(interest.isActive)
        #expect(bus.interest(inSystem: "late").isActive)
        bus.unsubscribe(everything)
        #expect(!interest.isActive)
    }
}
