import Foundation
import Synchronization
import Testing
import WippyCore
import WippyTestSupport
@testable import WippyStore

/// Durable appends per second and the latency of one append, on SQLite and on PostgreSQL, and the claim and
/// takeover latency of PostgreSQL leases, measured by hand in a release build:
///
///     WIPPY_BENCH_WORKFLOW_STORE=1 swift test -c release --filter WorkflowStoreBenchmark
///
/// (under `sh scripts/postgres-test-server.sh run ...`, or the PostgreSQL figures start their own server).
///
/// Not part of the suite (it measures, it does not check).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["WIPPY_BENCH_WORKFLOW_STORE"] != nil))
struct WorkflowStoreBenchmark {
    /// A closed loop: each workflow submits its next event from the completion of the previous one.
    final class Loop: Sendable {
        let store: any WorkflowStore
        let runs: [WorkflowRunID]
        let steps: UInt64
        let latencies: Mutex<[UInt64]>
        let done: CompletionTally

        init(store: any WorkflowStore, runs: [WorkflowRunID], steps: UInt64) {
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

    func measure(
        _ kind: StoreKind = .sqlite, workflows: Int, steps: UInt64
    ) async throws -> (perSecond: Double, p50: Double, p99: Double, stats: WorkflowStoreStats) {
        let fixture = try await StoreFixture(kind)
        let store = try fixture.open()
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
        if kind == .sqlite {
            let log = SQLiteFileCheck.size(of: fixture.path + "-wal") ?? 0
            let file = SQLiteFileCheck.size(of: fixture.path) ?? 0
            print("  database \(file / 1024) KiB, write-ahead log \(log / 1024) KiB after the run")
        }
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

    @Test func postgresDurableAppendsWithAThousandConcurrentWorkflows() async throws {
        let result = try await measure(.postgres, workflows: 1000, steps: 50)
        print(String(format: "wf_store_pg_concurrent_appends_per_s %.0f (PostgreSQL, 1000 workflows, 1 event per write; p50 %.2f ms, p99 %.2f ms)",
            result.perSecond, result.p50, result.p99))
        print("  \(result.stats.commits) commits for \(result.stats.items) writes (\(result.stats.items / max(1, result.stats.commits)) per commit)")
    }

    @Test func postgresLatencyOfOneAppend() async throws {
        let result = try await measure(.postgres, workflows: 1, steps: 1000)
        print(String(format: "wf_store_pg_append_p50_ms %.3f (PostgreSQL, one workflow, sequential; p99 %.3f ms, %.0f appends/s)",
            result.p50, result.p99, result.perSecond))
    }

    /// Claim latency, and how long after a dead node's leases expire another node holds all its runs.
    @Test func postgresClaimAndTakeover() async throws {
        let settings = try await PostgresTestServer.freshSchema()
        let lease = Duration.seconds(2)
        let dead = try PostgresWorkflowStore(settings: settings, startLease: lease)
        let survivor = try PostgresWorkflowStore(settings: settings)
        defer { survivor.close() }
        let runs = 1000
        let tally = CompletionTally(count: runs)
        for index in 0..<runs { dead.submit(.start(workflowRecord("owned-\(index)"), owner: "node-dead"), completion: tally.completion(index)) }
        try await tally.waitAll()
        let leasesSet = ContinuousClock.now  // every lease ends by leasesSet + lease (the server's clock runs alongside)
        dead.close()
        // The survivor polls every 100 ms, as an engine would, claiming up to 500 runs a call.
        var claimed = 0
        var claimLatencies: [Double] = []
        var firstAt: ContinuousClock.Instant?
        while claimed < runs {
            let started = ContinuousClock.now
            let claims = try await survivor.claim(node: "node-survivor", limit: 500, lease: .seconds(30))
            let took = ContinuousClock.now - started
            if !claims.isEmpty {
                firstAt = firstAt ?? ContinuousClock.now
                claimLatencies.append(Double(took.components.attoseconds) / 1e15 + Double(took.components.seconds) * 1000)
                claimed += claims.count
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let allAt = ContinuousClock.now
        func ms(_ duration: Duration) -> Double { Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15 }
        print(String(format: "wf_store_pg_takeover_ms %.0f (1000 runs of a dead node, lease %.0f ms: first claimed %.0f ms, all %.0f ms after the node set its leases)",
            ms(allAt - leasesSet) - ms(lease), ms(lease), ms(firstAt! - leasesSet), ms(allAt - leasesSet)))
        print(String(format: "wf_store_pg_claim_ms %.1f (one claim of up to 500 runs; %d claims)",
            claimLatencies.sorted()[claimLatencies.count / 2], claimLatencies.count))

        // Claim latency on a quiet store: 2000 free runs, claimed 1 and 100 at a time.
        let quiet = try PostgresWorkflowStore(settings: try await PostgresTestServer.freshSchema())
        defer { quiet.close() }
        let free = CompletionTally(count: 2000)
        for index in 0..<2000 { quiet.submit(.start(workflowRecord("free-\(index)")), completion: free.completion(index)) }
        try await free.waitAll()
        for size in [1, 100] {
            var latencies: [Double] = []
            for _ in 0..<(size == 1 ? 200 : 10) {
                let started = ContinuousClock.now
                let got = try await quiet.claim(node: "node-q", limit: size, lease: .seconds(30))
                latencies.append(ms(ContinuousClock.now - started))
                #expect(got.count == size)
            }
            latencies.sort()
            print(String(format: "wf_store_pg_claim_%d_p50_ms %.2f (p99 %.2f ms)", size, latencies[latencies.count / 2],
                latencies[min(latencies.count - 1, latencies.count * 99 / 100)]))
        }
    }
}
