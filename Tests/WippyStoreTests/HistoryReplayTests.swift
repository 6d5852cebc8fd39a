import Foundation
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyStore

/// Boot replay and rollback on a SQLite history: what a registry applied is there again after a restart.
@Suite struct HistoryReplayTests {
    /// A registry on the history at `path`, booted on `baseline`.
    func boot(_ path: String, baseline: [Entry] = [testEntry("app:file", data: "from file")]) throws -> Registry {
        let registry = Registry(history: try SQLiteRegistryHistory(path: path))
        registry.add(participant: AcceptingParticipant())
        try registry.boot(baseline: baseline)
        return registry
    }

    @Test func changesSurviveARestartAndNumberingContinues() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let registry = try boot(path)
            #expect(try registry.apply([.create(testEntry("app:rich", data: everyShape))]) == 1)
            #expect(try registry.apply([.update(testEntry("app:file", data: "edited")), .create(testEntry("app:two"))]) == 2)
        }
        let registry = try boot(path)
        #expect(registry.version == 2)
        #expect(registry.entry(EntryID(parsing: "app:rich"))?.data == everyShape)
        #expect(registry.entry(EntryID(parsing: "app:file"))?.data == "edited")
        #expect(registry.entry(EntryID(parsing: "app:two")) != nil)
        #expect(registry.versions.map(\.id) == [1, 2])
        #expect(try registry.apply([.delete(EntryID(parsing: "app:two"))]) == 3)
        #expect(registry.version(3)?.parent == 2)
        let again = try boot(path)
        #expect(again.version == 3)
        #expect(again.entry(EntryID(parsing: "app:two")) == nil)
    }

    @Test func changesAreReplayedOntoEditedFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let registry = try boot(path)
            try registry.apply([.create(testEntry("app:runtime", data: 1))])
        }
        // the definition files changed meanwhile: a new entry, the old one gone
        let registry = try boot(path, baseline: [testEntry("app:new file")])
        #expect(registry.entry(EntryID(parsing: "app:runtime"))?.data == 1)
        #expect(registry.entry(EntryID(parsing: "app:new file")) != nil)
        #expect(registry.entry(EntryID(parsing: "app:file")) == nil)
    }

    @Test func rollbackPersistsAndTheNextApplyBranchesFromIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let registry = try boot(path)
            try registry.apply([.create(testEntry("app:a", data: 1))])
            try registry.apply([.update(testEntry("app:a", data: 2)), .create(testEntry("app:b"))])
            try registry.applyVersion(1)
            #expect(registry.entry(EntryID(parsing: "app:b")) == nil)
        }
        do {
            let registry = try boot(path)
            #expect(registry.version == 1)
            #expect(registry.entry(EntryID(parsing: "app:a"))?.data == 1)
            #expect(registry.entry(EntryID(parsing: "app:b")) == nil)
            // a child of v1, numbered after every saved version
            #expect(try registry.apply([.create(testEntry("app:c"))]) == 3)
            #expect(registry.version(3)?.parent == 1)
        }
        let registry = try boot(path)
        #expect(registry.version == 3)
        #expect(registry.versions.map(\.parent) == [0, 1, 1])
        #expect(registry.entry(EntryID(parsing: "app:c")) != nil)
        #expect(registry.entry(EntryID(parsing: "app:b")) == nil)
        // forward again to the other branch
        try registry.applyVersion(2)
        #expect(registry.entry(EntryID(parsing: "app:a"))?.data == 2)
        #expect(registry.entry(EntryID(parsing: "app:c")) == nil)
        #expect(try boot(path).version == 2)
    }

    @Test func applicationKeepsHistoryUnderTheProjectByDefault() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wippy.lock", "directories:\n    modules: .wippy\n    src: ./src\n")
        try dir.write(
            "src/_index.yaml",
            """
            version: "1.0"
            namespace: app
            entries:
              - name: greet
                kind: function.lua
                source: return function() return "v0" end
                method: call
            """)
        var options = RuntimeOptions()
        options.projectRoot = dir.path
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let id = EntryID(parsing: "app:greet")
        do {
            let app = try Application(options: options, modules: [], logger: logger)
            #expect(app.registry.version == 0)
            var entry = try #require(app.registry.entry(id))
            entry.data = .map([("source", "return function() return \"v1\" end"), ("method", "call")])
            #expect(try app.registry.apply([.update(entry), .create(testEntry("app:note", "registry.entry", data: everyShape))]) == 1)
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.wippy/registry.db"))
        let app = try Application(options: options, modules: [], logger: logger)
        #expect(app.registry.version == 1)
        #expect(app.registry.entry(id)?.data["source"] == "return function() return \"v1\" end")
        #expect(app.registry.entry(EntryID(parsing: "app:note"))?.data == everyShape)
        // a bad change is still refused by the kind handlers, and saves nothing
        var broken = try #require(app.registry.entry(id))
        broken.data = .map([("source", "return function(")])
        #expect(throws: WippyError.self) { try app.registry.apply([.update(broken)]) }
        #expect(try SQLiteRegistryHistory(path: dir.path + "/.wippy/registry.db").load().versions.count == 1)
    }

    @Test func memoryModeWritesNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wippy.lock", "directories:\n    modules: .wippy\n    src: ./src\n")
        try dir.write("src/_index.yaml", "version: \"1.0\"\nnamespace: app\nentries: []\n")
        var options = RuntimeOptions()
        options.projectRoot = dir.path
        options.historyMode = .memory
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let app = try Application(options: options, modules: [], logger: logger)
        try app.registry.apply([.create(testEntry("app:x", "registry.entry"))])
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.wippy/registry.db"))
        #expect(try Application(options: options, modules: [], logger: logger).registry.entry(EntryID(parsing: "app:x")) == nil)
    }

    @Test func historyModeArguments() throws {
        #expect(RegistryHistoryMode(argument: "memory") == .memory)
        #expect(RegistryHistoryMode(argument: "sqlite") == .sqlite())
        #expect(RegistryHistoryMode(argument: "sqlite:state/h.db") == .sqlite(path: "state/h.db"))
        #expect(RegistryHistoryMode(argument: "sqlite:") == nil)
        #expect(RegistryHistoryMode(argument: "postgres") == nil)
        let dir = try TemporaryDirectory()
        let history = try RegistryHistoryMode.sqlite(path: "state/h.db").makeHistory(projectRoot: dir.path)
        #expect((history as? SQLiteRegistryHistory)?.path == dir.path + "/state/h.db")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/state/h.db"))
    }
}
