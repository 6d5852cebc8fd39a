import Foundation
import GRDB
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyRuntime
import WippyStore

/// Code that no longer matches its journal is never replayed wrong: the run stops in `blocked`, and the
/// error names the entry, the line, and the expected and actual command (issue 8, item 3).
@Suite struct WorkflowDivergenceTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: workflows
            kind: workflow.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: double
            kind: function.lua
            method: main
            source: |
              return { main = function(n) return n * 2 end }
          - name: flow
            kind: workflow.lua
            method: main
            modules: [funcs]
            source: |
              local funcs = require("funcs")
              return { main = function(n)
                return funcs.call("app:double", n)
              end }
        """

    @Test func aJournalTheCodeNoLongerMatchesBlocksTheRun() async throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", Self.index)
        // A run recorded by other code: it called app:triple where this code calls app:double.
        let run = WorkflowRunID(workflowID: "diverged-1", runID: "r1")
        do {
            let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
            let input = try PayloadArchive.encode(.map([("args", .array([.int(4)])), ("host", .string("app:workflows"))]))
            let record = WorkflowRecord(
                run: run, entry: EntryID(parsing: "app:flow"), entryKind: "workflow.lua", registryVersion: 0, input: input)
            let command = WorkflowCommand.call(function: "app:triple", arguments: .array([.int(4)]), options: .null)
            try await store.write(.start(record, events: [
                WorkflowSession.startEvent(time: 1_700_000_000_000_000_000, seed: 7),
                JournalEvent(seq: 2, kind: "call", key: "app:triple", payload: WorkflowJournalCodec.command(command)),
            ]))
            store.close()
        }
        let log = LogSignals()
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let app = try Application(
            options: options, modules: StandardModules.all(terminal: nil),
            logger: Logger(label: "test") { _ in SignalsHandler(signals: log) })
        let events = RecordedEvents()
        let subscription = try app.bus.subscribe(system: "workflow", receiver: events)
        defer { app.bus.unsubscribe(subscription) }
        app.start()
        let blocked = try #require(await log.wait(for: "workflow diverged-1 (app:flow) is blocked", within: .seconds(30)), "\(log.messages)")
        #expect(blocked.contains("expected call app:triple"), "\(blocked)")
        #expect(blocked.contains("call app:double"), "\(blocked)")
        #expect(blocked.contains(":3"), "names the line: \(blocked)")
        // Its lifecycle is on the bus (system `workflow`, path the workflow PID).
        #expect(await events.wait(for: "workflow.blocked"))
        let seen = events.events
        #expect(seen.map(\.kind) == ["workflow.resumed", "workflow.blocked"])
        #expect(seen.allSatisfy { $0.path == "{app:workflows@app:workflows|diverged-1}" })
        #expect(seen.last?.data["detail"]?.stringValue?.contains("expected call app:triple") == true)
        app.shutdown()

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let loaded = try #require(try await store.load(run))
        #expect(loaded.record.status == .blocked)
        // Nothing was journaled past the divergence, and the activity never ran.
        #expect(loaded.events.count == 2)
    }

    /// A journal altered on disk (an event's payload changed behind the store's back) is reported with the
    /// run and the seq; the run is blocked and its code never runs (issue 8, item 8d).
    @Test func aDamagedJournalBlocksTheRunInsteadOfReplayingIt() async throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", Self.index)
        let path = project.root + "/.wippy/workflows.db"
        let run = WorkflowRunID(workflowID: "damaged-1", runID: "r1")
        do {
            let store = try SQLiteWorkflowStore(path: path)
            let input = try PayloadArchive.encode(.map([("args", .array([.int(4)])), ("host", .string("app:workflows"))]))
            let record = WorkflowRecord(
                run: run, entry: EntryID(parsing: "app:flow"), entryKind: "workflow.lua", registryVersion: 0, input: input)
            let command = WorkflowCommand.call(function: "app:double", arguments: .array([.int(4)]), options: .null)
            try await store.write(.start(record, events: [
                WorkflowSession.startEvent(time: 1_700_000_000_000_000_000, seed: 7),
                JournalEvent(seq: 2, kind: "call", key: "app:double", payload: WorkflowJournalCodec.command(command)),
            ]))
            store.close()
        }
        // The call's recorded arguments are changed without the checksum: a replay would see other data.
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            try db.execute(sql: "UPDATE workflow_journal SET payload = x'00' || payload WHERE seq = 2")
        }
        try database.close()

        let log = LogSignals()
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let app = try Application(
            options: options, modules: StandardModules.all(terminal: nil),
            logger: Logger(label: "test") { _ in SignalsHandler(signals: log) })
        let events = RecordedEvents()
        let subscription = try app.bus.subscribe(system: "workflow", receiver: events)
        defer { app.bus.unsubscribe(subscription) }
        app.start()
        let reported = try #require(await log.wait(for: "workflow damaged-1 not resumed", within: .seconds(30)), "\(log.messages)")
        #expect(reported.contains("seq 2"), "\(reported)")
        #expect(await events.wait(for: "workflow.blocked"))
        #expect(!events.events.contains { $0.kind == "workflow.resumed" })
        app.shutdown()

        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        let blocked = try #require(try await store.list().first)
        #expect(blocked.status == .blocked)
        #expect(String(decoding: blocked.result ?? [], as: UTF8.self).contains("seq 2"))
    }
}

/// Bus events as they arrive, for a test that waits for one.
final class RecordedEvents: EventReceiver, @unchecked Sendable {
    private let lock = NSCondition()
    private var received: [BusEvent] = []

    func receive(_ event: BusEvent) -> Bool {
        lock.lock()
        received.append(event)
        lock.broadcast()
        lock.unlock()
        return true
    }

    var events: [BusEvent] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits (on a Dispatch thread) until an event of `kind` arrived, at most `seconds`.
    func wait(for kind: String, seconds: Double = 20) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let deadline = Date(timeIntervalSinceNow: seconds)
                self.lock.lock()
                while !self.received.contains(where: { $0.kind == kind }) && self.lock.wait(until: deadline) {}
                let found = self.received.contains { $0.kind == kind }
                self.lock.unlock()
                continuation.resume(returning: found)
            }
        }
    }
}
