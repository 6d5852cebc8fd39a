import Synchronization
import Testing
@testable import WippyResources

/// The SQLite executor's queue: serial and in order whether a job finds the drainer lingering, busy or gone.
@Suite struct LingeringSerialQueueTests {
    /// What the jobs record: the order they ran in, and whether two ever ran at once.
    final class Record: Sendable {
        let ran = Mutex<[Int]>([])
        let running = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)

        func run(_ value: Int) {
            if running.wrappingAdd(1, ordering: .relaxed).newValue != 1 { overlapped.store(true, ordering: .relaxed) }
            ran.withLock { $0.append(value) }
            running.wrappingSubtract(1, ordering: .relaxed)
        }

        /// Waits (no fixed sleep) until `count` jobs have run or 30 s pass.
        func waitFor(count: Int) async -> [Int] {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let seen = ran.withLock { $0 }
                if seen.count >= count { return seen }
                try? await Task.sleep(for: .milliseconds(2))
            }
            return ran.withLock { $0 }
        }
    }

    @Test(arguments: [0, 200_000] as [UInt64])
    func jobsRunOneAtATimeInSubmissionOrder(linger: UInt64) async {
        let queue = LingeringSerialQueue(label: "test.lingering", lingerNanoseconds: linger)
        let record = Record()
        // Submitted from several threads in bursts (each burst's own order must hold), and one by one after
        // each job ran (the drainer lingering or already gone, depending on the linger).
        for burst in 0..<4 {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<3 {
                    group.addTask {
                        for step in 0..<50 {
                            let value = burst * 1_000 + lane * 100 + step
                            queue.async { record.run(value) }
                        }
                    }
                }
            }
        }
        var seen = await record.waitFor(count: 600)
        for single in 0..<20 {
            queue.async { record.run(10_000 + single) }
            seen = await record.waitFor(count: 601 + single)
        }
        #expect(seen.count == 620)
        let overlapped = record.overlapped.load(ordering: .relaxed)
        #expect(!overlapped)
        for burst in 0..<4 {
            for lane in 0..<3 {
                let base = burst * 1_000 + lane * 100
                let ofLane = seen.filter { $0 >= base && $0 < base + 100 }
                #expect(ofLane == Array(base..<(base + 50)), "burst \(burst) lane \(lane): \(ofLane)")
            }
        }
        #expect(Array(seen.suffix(20)) == Array(10_000..<10_020))
    }
}
