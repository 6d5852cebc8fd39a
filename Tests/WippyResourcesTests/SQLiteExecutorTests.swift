import Foundation
import Synchronization
import Testing
import WippyCore
@testable import WippyResources

/// The SQLite database's serial queue (``SQLiteExecutor``): jobs from any thread run one at a time, each
/// producer's in its order, and an idle queue lets its thread go and starts another for the next job.
@Suite struct SQLiteExecutorTests {
    /// What the jobs saw: the order they ran in and whether two ever overlapped.
    final class Record: Sendable {
        let ran = Mutex<[(producer: Int, index: Int)]>([])
        let running = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let done = Atomic<Int>(0)

        func job(_ producer: Int, _ index: Int) -> @Sendable () -> Void {
            { [self] in
                if running.add(1, ordering: .acquiringAndReleasing).newValue != 1 { overlapped.store(true, ordering: .relaxed) }
                ran.withLock { $0.append((producer, index)) }
                running.subtract(1, ordering: .acquiringAndReleasing)
                done.add(1, ordering: .releasing)
            }
        }
    }

    /// Waits (polling, up to 30 s) until `condition` holds; false if it never did.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition()
    }

    @Test func jobsFromManyThreadsRunOneAtATimeInEachProducersOrder() async {
        let executor = SQLiteExecutor(label: "test")
        let record = Record()
        let producers = 4
        let perProducer = 5_000
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for index in 0..<perProducer { executor.async(record.job(producer, index)) }
        }
        #expect(await Self.eventually { record.done.load(ordering: .acquiring) == producers * perProducer })
        let overlapped = record.overlapped.load(ordering: .relaxed)
        #expect(!overlapped)
        var next = [Int](repeating: 0, count: producers)
        var inOrder = true
        for (producer, index) in record.ran.withLock({ $0 }) {
            if index != next[producer] { inOrder = false }
            next[producer] = index + 1
        }
        #expect(inOrder)
        #expect(next == [Int](repeating: perProducer, count: producers))
    }

    @Test func anIdleQueueEndsItsThreadAndTheNextJobStartsAnother() async {
        let executor = SQLiteExecutor(label: "test")
        let record = Record()
        executor.async(record.job(0, 0))
        #expect(await Self.eventually { record.done.load(ordering: .acquiring) == 1 })
        #expect(executor.threadsStarted == 1)
        #expect(await Self.eventually { !executor.hasThread })
        executor.async(record.job(0, 1))
        #expect(await Self.eventually { record.done.load(ordering: .acquiring) == 2 })
        #expect(executor.threadsStarted == 2)
    }
}
