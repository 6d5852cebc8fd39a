import Foundation
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
        app.start()
        let blocked = try #require(await log.wait(for: "workflow diverged-1 (app:flow) is blocked", within: .seconds(30)), "\(log.messages)")
        #expect(blocked.contains("expected call app:triple"), "\(blocked)")
        #expect(blocked.contains("call app:double"), "\(blocked)")
        #expect(blocked.contains(":3"), "names the line: \(blocked)")
        app.shutdown()

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let loaded = try #require(try await store.load(run))
        #expect(loaded.record.status == .blocked)
        // Nothing was journaled past the divergence, and the activity never ran.
        #expect(loaded.events.count == 2)
    }
}
