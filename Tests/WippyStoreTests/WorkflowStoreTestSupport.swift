import Dispatch
import Foundation
import GRDB
import Synchronization
import WippyCore
@testable import WippyStore

/// A run record for tests: workflow `id`, run `r1` unless told.
func workflowRecord(_ id: String, run: String = "r1", input: [UInt8] = [1, 2, 3]) -> WorkflowRecord {
    WorkflowRecord(
        run: WorkflowRunID(workflowID: id, runID: run), entry: EntryID(parsing: "app:order_saga"), entryKind: "workflow.lua",
        registryVersion: 7, input: input)
}

/// Events `first...last`, each with a payload that names it (so a mix-up shows).
func journalEvents(_ first: UInt64, _ last: UInt64, kind: String = "call") -> [JournalEvent] {
    guard first <= last else { return [] }
    return (first...last).map { seq in
        JournalEvent(seq: seq, kind: kind, key: "app:step\(seq % 7)", payload: Array("payload \(seq)".utf8))
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded waiting for \(what)" }
}

/// Counts the completions of numbered submissions and lets a test wait (with a deadline) for all of them.
final class CompletionTally: Sendable {
    private struct State {
        var calls: [Int]
        var outcomes: [Result<Void, WippyError>?]
        var remaining: Int
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state: Mutex<State>

    init(count: Int) {
        state = Mutex(State(calls: Array(repeating: 0, count: count), outcomes: Array(repeating: nil, count: count), remaining: count))
    }

    /// The completion of submission `index`; `also` runs first, on the store's thread.
    func completion(
        _ index: Int, also: (@Sendable (Result<Void, WippyError>) -> Void)? = nil
    ) -> @Sendable (Result<Void, WippyError>) -> Void {
        { [self] result in
            also?(result)
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.calls[index] += 1
                state.outcomes[index] = result
                if state.calls[index] == 1 { state.remaining -= 1 }
                guard state.remaining == 0 else { return nil }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// How many times each completion was called.
    var calls: [Int] { state.withLock { $0.calls } }

    /// The error of submission `index`, nil when it succeeded or did not complete.
    func error(_ index: Int) -> WippyError? {
        state.withLock { state in
            if case .failure(let error) = state.outcomes[index] { return error }
            return nil
        }
    }

    func succeeded(_ index: Int) -> Bool {
        state.withLock { state in
            if case .success = state.outcomes[index] { return true }
            return false
        }
    }

    /// Waits until every completion was called.
    ///
    /// - Throws: ``DeadlineExceeded`` after `timeout`.
    func waitAll(timeout: Duration = .seconds(60)) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let now = self.state.withLock { state -> Bool in
                            guard state.remaining > 0 else { return true }
                            state.waiter = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { state in
                        defer { state.waiter = nil }
                        return state.waiter
                    }?.resume()
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished {
                let remaining = state.withLock { $0.remaining }
                throw DeadlineExceeded(what: "\(remaining) completions")
            }
        }
    }
}

/// A raw GRDB connection to a store's file, beside the store (foreign keys off: tampering is about making
/// what the store would never write).
func rawConnection(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = false
    configuration.busyMode = .timeout(10)
    return try DatabaseQueue(path: path, configuration: configuration)
}

/// The error message of opening a store at `path`, nil when it opens.
func openError(_ path: String) -> String? {
    do {
        let store = try SQLiteWorkflowStore(path: path)
        store.close()
        return nil
    } catch {
        return error.message
    }
}

/// Runs `sql` on a raw connection to `path` (sync, so async tests do not pick GRDB's async overloads).
func rawExecute(_ path: String, _ sql: String, arguments: StatementArguments = []) throws {
    let raw = try rawConnection(path)
    try raw.writeWithoutTransaction { db in try db.execute(sql: sql, arguments: arguments) }
    try raw.close()
}

/// A text value read on a raw connection to `path`.
func rawFetch(_ path: String, _ sql: String) throws -> String? {
    let raw = try rawConnection(path)
    defer { try? raw.close() }
    return try raw.read { db in try String.fetchOne(db, sql: sql) }
}

/// Submits `writes` so that the writer takes them as one batch and waits for their completions. Returns the
/// tally and the commits it took. The SQLite writer is held while they queue; PostgreSQL's is held in the
/// completion of a first write (it runs completions on its own thread).
func submitAsOneBatch(_ store: any TestedWorkflowStore, _ writes: [WorkflowWrite]) async throws -> (CompletionTally, commits: Int) {
    if let sqlite = store as? SQLiteWorkflowStore {
        let release = sqlite.holdWriter()
        let tally = CompletionTally(count: writes.count)
        let before = store.stats
        for (index, write) in writes.enumerated() { store.submit(write, completion: tally.completion(index)) }
        release()
        try await tally.waitAll()
        return (tally, store.stats.commits - before.commits)
    }
    let gate = DispatchSemaphore(value: 0)
    let entered = CompletionTally(count: 1)
    let enter = entered.completion(0)
    store.submit(.start(workflowRecord("holder-\(UUID().uuidString)"))) { result in
        enter(result)
        gate.wait()
    }
    try await entered.waitAll()
    let tally = CompletionTally(count: writes.count)
    for (index, write) in writes.enumerated() { store.submit(write, completion: tally.completion(index)) }
    let before = store.stats
    gate.signal()
    try await tally.waitAll()
    return (tally, store.stats.commits - before.commits)
}
