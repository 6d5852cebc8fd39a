import Logging
import Testing
import WippyBoot
import WippyCore

/// Services that depend on each other in a circle could never start: such a changeset is refused (§6.4),
/// at boot and at runtime, and the running system stays as it was.
@Suite struct ServiceCycleTests {
    static func project(bDependsOnA: Bool) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: idle
            kind: process.lua
            source: 'return { main = function() process.events():receive() end }'
          - name: a.service
            kind: process.service
            process: idle
            host: app:processes
            lifecycle: {depends_on: [app:b.service]}
          - name: b.service
            kind: process.service
            process: idle
            host: app:processes
            lifecycle: {\(bDependsOnA ? "depends_on: [app:a.service]" : "stop_timeout: 1s")}
        """
    }

    func boot(_ yaml: String) throws -> (TemporaryProject, Application) {
        let project = try TemporaryProject()
        try project.writeLock()
        try project.write("src/_index.yaml", yaml)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        return (project, try Application(options: options, modules: [], logger: logger))
    }

    @Test func aCycleInTheFilesStopsTheBootNamingTheServices() throws {
        do {
            let (project, _) = try boot(Self.project(bDependsOnA: true))
            project.remove()
            Issue.record("booted a project whose services depend on each other")
        } catch let error as WippyError {
            #expect(error.message.contains("src/_index.yaml:"))
            #expect(error.message.contains("cycle: app:a.service → app:b.service → app:a.service"))
        }
    }

    @Test func aChangeThatClosesACycleIsRefusedAndNothingChanges() throws {
        let (project, app) = try boot(Self.project(bDependsOnA: false))
        defer { project.remove() }
        let version = app.registry.version
        var b = try #require(app.registry.entry(EntryID(parsing: "app:b.service")))
        var data = try #require(b.data.tableValue)
        data["lifecycle"] = .map([("depends_on", .array(["app:a.service"]))])
        b.data = .table(data)
        #expect {
            try app.registry.apply([.update(b)])
        } throws: { error in
            (error as? WippyError)?.message.contains("services depend on each other in a cycle") == true
        }
        #expect(app.registry.version == version)
        #expect(app.registry.entry(EntryID(parsing: "app:b.service"))?.data["lifecycle"]?["depends_on"] == nil)
    }
}
