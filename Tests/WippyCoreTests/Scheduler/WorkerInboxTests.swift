import Synchronization
import Testing
@testable import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// The worker inbox is a lock-free multi-producer queue drained in batches: every posted event comes out
/// exactly once, each producer's events in the order it posted them, and a parked worker wakes for a post.
@Suite struct WorkerInboxTests {
    /// Completion values carry (producer, sequence number) so the drain can check order and completeness.
    private static func event(producer: Int, sequence: Int) -> WorkerEvent {
        .shutdown(graceful: UInt64(producer) << 32 | UInt64(sequence))
    }

    private static func decode(_ event: WorkerEvent) -> (producer: Int, sequence: Int)? {
        guard case .shutdown(let value) = event else { return nil }
        return (Int(value >> 32), Int(value & 0xFFFF_FFFF))
    }

    /// Four threads post 20 000 events each (some one by one, some in batches) while this thread drains:
    /// nothing is lost or duplicated, and each producer's events arrive in posting order.
    @Test func concurrentProducersKeepTheirOrderAndLoseNothing() {
        let inbox = WorkerInbox()
        let producers = 4
        let perProducer = 20_000
        var threads: [pthread_t] = []
        final class Job: @unchecked Sendable {
            let inbox: WorkerInbox
            let producer: Int
            let count: Int
            init(inbox: WorkerInbox, producer: Int, count: Int) {
                self.inbox = inbox
                self.producer = producer
                self.count = count
            }
        }
        for producer in 0..<producers {
            let job = Job(inbox: inbox, producer: producer, count: perProducer)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(job).toOpaque()
            pthread_create(&thread, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                var sequence = 0
                while sequence < job.count {
                    if sequence % 3 == 0 && sequence + 4 <= job.count {
                        job.inbox.post(contentsOf: (sequence..<sequence + 4).map {
                            WorkerInboxTests.event(producer: job.producer, sequence: $0)
                        })
                        sequence += 4
                    } else {
                        job.inbox.post(WorkerInboxTests.event(producer: job.producer, sequence: sequence))
                        sequence += 1
                    }
                }
                return nil
            }, context)
            threads.append(thread)
        }
        var next = [Int](repeating: 0, count: producers)
        var outOfOrder = 0
        var received = 0
        var buffer: [WorkerEvent] = []
        let deadline = MonotonicClock.now() + 60_000_000_000
        while received < producers * perProducer && MonotonicClock.now() < deadline {
            inbox.drain(into: &buffer)
            for event in buffer {
                guard let (producer, sequence) = WorkerInboxTests.decode(event) else { continue }
                if sequence != next[producer] { outOfOrder += 1 }
                next[producer] = sequence + 1
                received += 1
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for thread in threads { pthread_join(thread, nil) }
        inbox.drain(into: &buffer)
        #expect(buffer.isEmpty)
        #expect(received == producers * perProducer)
        #expect(outOfOrder == 0)
        #expect(next == [Int](repeating: perProducer, count: producers))
        #expect(!inbox.hasPending)
    }

    /// A parked worker wakes when another thread posts (no lost wake-up), over many park/post rounds: a
    /// lost wake-up shows as a park that ran to its (long, hang-guarding) deadline.
    @Test func parkedConsumerWakesForEveryPost() {
        final class Box: @unchecked Sendable {
            let inbox = WorkerInbox()
            let seen = Atomic<Int>(0)
            let timedOut = Atomic<Int>(0)
            let rounds = 2_000
        }
        let box = Box()
        var consumer = pthread_t()
        pthread_create(&consumer, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            var buffer: [WorkerEvent] = []
            var seen = 0
            while seen < box.rounds {
                if !box.inbox.hasPending, !box.inbox.park(until: MonotonicClock.now() + 20_000_000_000) {
                    box.timedOut.add(1, ordering: .relaxed)
                }
                box.inbox.drain(into: &buffer)
                seen += buffer.count
                buffer.removeAll(keepingCapacity: true)
                box.seen.store(seen, ordering: .releasing)
            }
            return nil
        }, Unmanaged.passRetained(box).toOpaque())
        for round in 0..<box.rounds {
            box.inbox.post(WorkerInboxTests.event(producer: 0, sequence: round))
            // Wait until the consumer took it, so the next post finds it parked or about to park.
            while box.seen.load(ordering: .acquiring) <= round { sched_yield() }
        }
        pthread_join(consumer, nil)
        #expect(box.seen.load(ordering: .acquiring) == box.rounds)
        #expect(box.timedOut.load(ordering: .relaxed) == 0)
    }
}
