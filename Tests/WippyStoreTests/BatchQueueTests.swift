import Foundation
import Synchronization
import Testing
@testable import WippyStore

/// The queue the SQLite journal writer and its syncer take their work from.
@Suite struct BatchQueueTests {
    @Test func whatIsQueuedWhileHeldIsOneBatchAndClosingDrainsTheRestThenEnds() throws {
        let queue = BatchQueue<Int>()
        let release = queue.hold()
        for item in 1...5 { #expect(queue.append(item)) }
        #expect(!queue.isIdle)
        let taken = Mutex<[[Int]]>([])
        let ended = DispatchSemaphore(value: 0)
        let consumer = Thread {
            while let batch = queue.take() { taken.withLock { $0.append(batch) } }
            queue.finish()
            ended.signal()
        }
        consumer.start()
        release()
        // The consumer took the five as one batch and waits again: the queue is idle.
        let deadline = Date().addingTimeInterval(30)
        while !(queue.isIdle && taken.withLock({ $0.count }) == 1) && Date() < deadline { usleep(1000) }
        #expect(taken.withLock { $0 } == [[1, 2, 3, 4, 5]])
        #expect(queue.isIdle)
        #expect(queue.append(6))
        queue.close()
        #expect(ended.wait(timeout: .now() + 30) == .success)
        #expect(queue.isFinished)
        #expect(taken.withLock { $0.flatMap { $0 } } == [1, 2, 3, 4, 5, 6], "closing lets the consumer take what was queued")
        #expect(!queue.append(7), "a closed queue refuses items")
        #expect(queue.take() == nil)
    }
}
