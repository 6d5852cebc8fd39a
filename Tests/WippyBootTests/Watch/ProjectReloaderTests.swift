import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore

/// The reload step on a booted application, run directly (no watcher, no timing): files change, the
/// registry follows, and a bad change is rejected with one error line while the old entries stay.
@Suite struct ProjectReloaderTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: greet
            kind: function.lua
            source: file://greet.lua
            method: greet
          - name: config
            kind: registry.entry
            greeting: hello
        """

    static func greet(_ word: String) -> String {
        "local function greet()\n    return \"\(word)\"\nend\nreturn { greet = greet }\n"
    }

    /// Boots an application on a fresh project and hands it to `body` with its reloader and log.
    func withApplication(_ body: (TemporaryProject, Application, ProjectReloader, LogLines) throws -> Void) throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", ProjectReloaderTests.index)
            try project.write("src/greet.lua", ProjectReloaderTests.greet("v1"))
            let lines = LogLines()
            let logger = Logger(label: "reload-test") { _ in LinesHandler(lines: lines) }
            var options = RuntimeOptions()
            options.projectRoot = project.root
            let application = try Application(options: options, modules: [], logger: logger)
            defer { application.shutdown() }
            try body(project, application, ProjectReloader(application: application), lines)
        }
    }

    func source(_ application: Application, _ id: String = "app:greet") -> String? {
        application.registry.snapshot.entry(EntryID(parsing: id))?.string("source")
    }

    func changed(_ project: TemporaryProject, _ path: String) -> [WatchedChange] {
        [WatchedChange(path: project.root + "/" + path)]
    }

    @Test func luaFileChangeUpdatesTheFunction() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/greet.lua", ProjectReloaderTests.greet("v2"))
            let outcome = reloader.reload(changed: changed(project, "src/greet.lua"))
            guard case .applied(let changes) = outcome else { Issue.record("not applied: \(outcome)"); return }
            #expect(changes.map(\.id.description) == ["app:greet"])
            #expect(changes.map(\.kind) == [.update])
            #expect(source(application)?.contains("v2") == true)
            #expect(lines.infos == ["info reloaded src/greet.lua: updated app:greet"])
        }
    }

    @Test func yamlChangeCreatesUpdatesAndDeletesEntries() throws {
        try withApplication { project, application, reloader, lines in
            let edited = ProjectReloaderTests.index
                .replacing("greeting: hello", with: "greeting: bonjour")
                .replacing("  - name: greet\n    kind: function.lua\n    source: file://greet.lua\n    method: greet\n", with: "")
                + "\n  - name: added\n    kind: registry.entry\n    value: 1\n"
            try project.write("src/_index.yaml", edited)
            guard case .applied(let changes) = reloader.reload(changed: changed(project, "src/_index.yaml")) else {
                Issue.record("not applied: \(lines.all)")
                return
            }
            let byID = Dictionary(uniqueKeysWithValues: changes.map { ($0.id.description, $0.kind) })
            #expect(byID == ["app:added": .create, "app:config": .update, "app:greet": .delete])
            let snapshot = application.registry.snapshot
            #expect(snapshot.entry(EntryID(parsing: "app:config"))?.string("greeting") == "bonjour")
            #expect(snapshot.entry(EntryID(parsing: "app:greet")) == nil)
            #expect(lines.infos.count == 1)
        }
    }

    @Test func unchangedFilesChangeNothing() throws {
        try withApplication { project, application, reloader, lines in
            let version = application.registry.snapshot.version
            try project.write("src/greet.lua", ProjectReloaderTests.greet("v1"))
            #expect(reloader.reload(changed: changed(project, "src/greet.lua")) == .unchanged)
            #expect(application.registry.snapshot.version == version)
            #expect(lines.all.isEmpty)
        }
    }

    /// A bad file is rejected with one error line naming file, entry and line; the old code stays; the fix applies.
    @Test func luaSyntaxErrorIsRejectedThenFixApplies() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/greet.lua", "local function greet()\n    return \"v2\" +\nend\nreturn { greet = greet }\n")
            guard case .rejected(let message) = reloader.reload(changed: changed(project, "src/greet.lua")) else {
                Issue.record("not rejected")
                return
            }
            #expect(message.contains("src/greet.lua:3"))
            #expect(message.contains("app:greet"))
            #expect(source(application)?.contains("v1") == true)
            #expect(lines.errors.count == 1)
            #expect(lines.errors.first?.contains("src/greet.lua:3") == true)

            // Another save while it is still broken is refused again, naming the broken file again.
            #expect(reloader.reload(changed: changed(project, "src/greet.lua")) == .rejected(message))
            #expect(lines.errors.count == 2)
            #expect(lines.errors.last?.contains("still rejected") == true)
            #expect(lines.errors.last?.contains("src/greet.lua:3") == true)

            try project.write("src/greet.lua", ProjectReloaderTests.greet("v3"))
            guard case .applied = reloader.reload(changed: changed(project, "src/greet.lua")) else {
                Issue.record("fix not applied: \(lines.all)")
                return
            }
            #expect(source(application)?.contains("v3") == true)
        }
    }

    @Test func malformedYAMLIsRejectedNamingFileAndLine() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/_index.yaml", ProjectReloaderTests.index + "\n  - name: [broken\n")
            guard case .rejected(let message) = reloader.reload() else {
                Issue.record("not rejected")
                return
            }
            #expect(message.contains("src/_index.yaml:"))
            #expect(lines.errors.count == 1)
            #expect(application.registry.snapshot.entry(EntryID(parsing: "app:config"))?.string("greeting") == "hello")
        }
    }

    @Test func missingFileTargetIsRejectedNamingTheEntry() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/_index.yaml", ProjectReloaderTests.index.replacing("file://greet.lua", with: "file://gone.lua"))
            guard case .rejected(let message) = reloader.reload() else {
                Issue.record("not rejected")
                return
            }
            #expect(message.contains("src/_index.yaml"))
            #expect(message.contains("gone.lua"))
            #expect(source(application)?.contains("v1") == true)
            #expect(lines.errors.count == 1)
        }
    }

    @Test func unknownKindIsRejected() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/more.yaml", "version: \"1.0\"\nnamespace: app\nentries:\n  - name: odd\n    kind: no.such.kind\n")
            guard case .rejected(let message) = reloader.reload() else {
                Issue.record("not rejected: \(lines.all)")
                return
            }
            #expect(message.contains("app:odd"))
            #expect(message.contains("no.such.kind"))
            #expect(application.registry.snapshot.entry(EntryID(parsing: "app:odd")) == nil)
        }
    }

    @Test func danglingReferenceIsRejected() throws {
        try withApplication { project, application, reloader, lines in
            try project.write("src/more.yaml", """
                version: "1.0"
                namespace: app
                entries:
                  - name: svc
                    kind: process.service
                    process: app:missing
                    host: app:nohost
                """)
            guard case .rejected(let message) = reloader.reload() else {
                Issue.record("not rejected: \(lines.all)")
                return
            }
            #expect(message.contains("app:svc"))
            #expect(application.registry.snapshot.entry(EntryID(parsing: "app:svc")) == nil)
            #expect(lines.errors.count == 1)
        }
    }
}
