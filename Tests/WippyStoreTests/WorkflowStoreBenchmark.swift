import Foundation
import Synchronization
import Testing
import WippyCore
@testable import WippyStore

/// Durable appends per second and the latency of one append, measured by hand in a release build:
///
///     WIPPY_BENCH_WORKFLOW_STORE=1 swift test -c release --filter WorkflowStoreBenchmark
///
/// Not part of the suite (it measures, it does not check).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["WIPPY_BENCH_WORKFLOW_STORE"] != nil))
struct WorkflowStoreBenchmark {
    /// A closed loop: each workflow submits its next event from the completion of the previous one.
    final class Loop: Sendable {
        let store: SQLiteWorkflowStore
        let runs: [WorkflowRunID]
        let steps: UInt64
        let latencies: Mutex<[UInt64]>
        let done: CompletionTally

        init(store: SQLiteWorkflowStore, runs: [WorkflowRunID], steps: UInt64) {
            self.store = store
            self.runs = runs
            self.steps = steps
            latencies = Mutex([])
            done = CompletionTally(count: runs.count)
        }

        func start() {
            for index in runs.indices { step(index, seq: 1) }
        }

        private func step(_ index: Int, seq: UInt64) {
            let started = DispatchTime.now().uptimeNanoseconds
            let event = JournalEvent(seq: seq, kind: "call_result", key: "app:step", payload: Array("{\"ok\":\(seq)}".utf8))
            store.submit(WorkflowWrite(run: runs[index], events: [event])) { [self] result in
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                latencies.withLock { $0.append(elapsed) }
                if case .failure(let error) = result { fatalError("benchmark write failed: \(error)") }
                if seq < steps { step(index, seq: seq + 1) } else { done.completion(index)(.success(())) }
            }
        }
    }

    static func percentile(_ values: [UInt64], _ p: Double) -> Double {
        let sorted = values.sorted()
        return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1_000_000
    }

    func measure(workflows: Int, steps: UInt64) async throws -> (perSecond: Double, p50: Double, p99: Double, stats: SQLiteWorkflowStore.Stats) {
        let dir = try TemporaryDirectory()
        let store = try SQLiteWorkflowStore(path: dir.path + "/workflows.db")
        defer { store.close() }
        let runs = (0..<workflows).map { workflowRecord("bench-\($0)").run }
        for run in runs { store.submit(.start(workflowRecord(run.workflowID)), completion: { _ in }) }
        try await store.write(.start(workflowRecord("fence")))
        let before = store.stats
        let loop = Loop(store: store, runs: runs, steps: steps)
        let started = ContinuousClock.now
        loop.start()
        try await loop.done.waitAll(timeout: .seconds(600))
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let latencies = loop.latencies.withLock { $0 }
        let log = SQLiteFileCheck.size(of: dir.path + "/workflows.db-wal") ?? 0
        let file = SQLiteFileCheck.size(of: dir.path + "/workflows.db") ?? 0
        print("  database \(file / 1024) KiB, write-ahead log \(log / 1024) KiB after the run")
        var stats = store.stats
        stats.commits -= before.commits
        stats.items -= before.items
        stats.events -= before.events
        return (Double(latencies.count) / seconds, Self.percentile(latencies, 0.5), Self.percentile(latencies, 0.99), stats)
    }

    @Test func durableAppendsWithAThousandConcurrentWorkflows() async throws {
        let result = try await measure(workflows: 1000, steps: 100)
        print(String(format: "wf_store_concurrent_appends_per_s %.0f (1000 workflows, 1 event per write; p50 %.2f ms, p99 %.2f ms)",
            result.perSecond, result.p50, result.p99))
        print("  \(result.stats.commits) commits for \(result.stats.items) writes (\(result.stats.items / max(1, result.stats.commits)) per commit)")
    }

    @Test func latencyOfOneAppend() async throws {
        let result = try await measure(workflows: 1, steps: 2000)
        print(String(format: "wf_store_append_p50_ms %.3f (one workflow, sequential; p99 %.3f ms, %.0f appends/s)",
            result.p50, result.p99, result.perSecond))
    }
}
