import Synchronization
import Testing
import WippyCore
import WippyResources

/// The memory queue and the consumer pool as state machines (no threads): credit, redelivery at the tail,
/// publishers waiting on a full buffer, `concurrency` and `prefetch`, stopping.
@Suite struct MemoryQueueTests {
    final class Box<T: Sendable>: Sendable {
        let value: Mutex<T>
        init(_ value: T) { self.value = Mutex(value) }
    }

    func message(_ n: Int) -> QueueMessage { QueueMessage(id: "m\(n)", body: .int(Int64(n))) }

    @Test func creditLimitsWhatASubscriberHoldsAndNackGoesToTheTail() throws {
        let queue = MemoryQueue(name: "q", maxLength: 10)
        let got = Box<[QueueDelivery]>([])
        for n in 1...3 { #expect(try queue.publish(message(n)) { _ in }) }
        _ = queue.subscribe(credit: 2) { delivery in got.value.withLock { $0.append(delivery) } }
        #expect(got.value.withLock { $0.map(\.message.id) } == ["m1", "m2"])
        #expect(queue.stats.ready == 1 && queue.stats.inFlight == 2)
        let first = got.value.withLock { $0[0] }
        try first.nack()
        #expect(throws: WippyError.self) { try first.ack() }
        // m3 was waiting before m1 went back.
        #expect(got.value.withLock { $0.map(\.message.id) } == ["m1", "m2", "m3"])
        try got.value.withLock { $0[1] }.ack()
        #expect(got.value.withLock { $0.map(\.message.id) } == ["m1", "m2", "m3", "m1"])
        #expect(queue.stats.ready == 0 && queue.stats.inFlight == 2)
    }

    @Test func publishersWaitWhileTheBufferIsFull() throws {
        let queue = MemoryQueue(name: "q", maxLength: 2)
        let published = Box<[String]>([])
        #expect(try queue.publish(message(1)) { _ in })
        #expect(try queue.publish(message(2)) { _ in })
        #expect(try !queue.publish(message(3)) { _ in published.value.withLock { $0.append("m3") } })
        #expect(published.value.withLock { $0 }.isEmpty)
        let got = Box<[QueueDelivery]>([])
        _ = queue.subscribe(credit: 1) { delivery in got.value.withLock { $0.append(delivery) } }
        #expect(published.value.withLock { $0 } == ["m3"])
        #expect(queue.stats.ready == 2)
        queue.close()
        #expect(throws: WippyError.self) { _ = try queue.publish(message(4)) { _ in } }
    }

    @Test func poolRunsAtMostConcurrencyAndBuffersPrefetch() throws {
        let queue = MemoryQueue(name: "q", maxLength: 100)
        let running = Box<[(QueueDelivery, @Sendable (QueueSettle) -> Void)]>([])
        let pool = QueueConsumerPool(queue: queue, concurrency: 2, prefetch: 3) { delivery, done in
            running.value.withLock { $0.append((delivery, done)) }
        }
        pool.start()
        for n in 1...10 { _ = try queue.publish(message(n)) { _ in } }
        #expect(running.value.withLock { $0.count } == 2)
        #expect(pool.stats.buffered == 3)
        #expect(queue.stats.ready == 5 && queue.stats.inFlight == 5)
        // The first fails: it goes back to the tail; the next buffered one starts.
        let (_, fail) = running.value.withLock { $0[0] }
        fail(.nack)
        #expect(running.value.withLock { $0.map(\.0.message.id) } == ["m1", "m2", "m3"])
        #expect(queue.stats.ready == 5)
        // Stop: buffered ones go back, the two running finish, then the pool reports idle.
        let stopped = Box(false)
        pool.stop { stopped.value.withLock { $0 = true } }
        #expect(queue.stats.ready == 8)
        #expect(!stopped.value.withLock { $0 })
        for (_, done) in running.value.withLock({ Array($0[1...]) }) { done(.ack) }
        #expect(stopped.value.withLock { $0 })
        #expect(queue.stats.inFlight == 0 && queue.stats.ready == 8)
    }

    @Test func handlerSettlingItselfWins() throws {
        let queue = MemoryQueue(name: "q", maxLength: 10)
        let pool = QueueConsumerPool(queue: queue, concurrency: 1, prefetch: 0) { delivery, done in
            try? delivery.ack()
            done(.nack)
        }
        pool.start()
        _ = try queue.publish(message(1)) { _ in }
        #expect(queue.stats.ready == 0 && queue.stats.inFlight == 0)
        #expect(pool.stats.handled == 1)
    }
}
