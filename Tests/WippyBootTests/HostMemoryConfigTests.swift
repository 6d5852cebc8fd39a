import Logging
import Testing
import WippyBoot
import WippyCore
import WippyRuntime

/// `host.process_memory_limit` of `process.host` and `terminal.host` entries: a size, 0 for none, a default
/// when absent; a bad value stops the boot naming the file and entry; an update applies to new processes.
@Suite struct HostMemoryConfigTests {
    static func project(_ limit: String?) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
        \(limit.map { "    host: {workers: 1, process_memory_limit: \($0)}" } ?? "    host: {workers: 1}")
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
        do {
            return (project, try Application(options: options, modules: [], logger: logger))
        } catch {
            project.remove()
            throw error
        }
    }

    @Test(arguments: [("64M", 64 << 20), ("\"1G\"", 1 << 30), ("2097152", 2 << 20), ("0", nil), ("'512MiB'", 512 << 20)])
    func limitIsRead(_ value: String, _ bytes: Int?) throws {
        let (project, app) = try boot(Self.project(value))
        defer { project.remove() }
        #expect(app.runtime.memorySettings(host: "app:processes")?.processLimit == bytes)
    }

    @Test func absentLimitIsTheDefault() throws {
        let (project, app) = try boot(Self.project(nil))
        defer { project.remove() }
        let limit = app.runtime.memorySettings(host: "app:processes")?.processLimit
        #expect(limit == HostMemorySettings.defaultProcessLimit)
        #expect(limit.map { $0 >= 128 << 20 && $0 <= 1 << 30 } == true)
    }

    @Test(arguments: ["lots", "-5M", "512K", "1.5G", "true", "[1]"])
    func badLimitStopsTheBootNamingFileAndEntry(_ value: String) throws {
        do {
            let (project, _) = try boot(Self.project(value))
            project.remove()
            Issue.record("booted with process_memory_limit: \(value)")
        } catch let error as WippyError {
            #expect(error.message.contains("src/_index.yaml:"), "\(error.message)")
            #expect(error.message.contains("app:processes"), "\(error.message)")
            #expect(error.message.contains("process_memory_limit"), "\(error.message)")
        }
    }

    @Test func updateChangesTheLimitOfTheRunningHost() throws {
        let (project, app) = try boot(Self.project("64M"))
        defer { project.remove() }
        var host = try #require(app.registry.entry(EntryID(parsing: "app:processes")))
        host.data = .map([("host", .map([("workers", 1), ("process_memory_limit", "32M")]))])
        try app.registry.apply([.update(host)])
        #expect(app.runtime.memorySettings(host: "app:processes")?.processLimit == 32 << 20)
    }
}
