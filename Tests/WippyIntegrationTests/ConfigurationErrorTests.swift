import Foundation
import Testing

/// Bad configuration stops the boot with one message naming file, line and entry, instead of being ignored;
/// what looks odd but is harmless (a byte order mark, more workers than threads are worth) is accepted.
@Suite struct ConfigurationErrorTests {
    static let main = """
          - name: main
            kind: process.lua
            source: 'return { main = function() return "ran" end }'

        """

    /// A project whose terminal host has `lifecycle` set to `lifecycle` (a YAML flow value), plus `extra`.
    func project(lifecycle: String, extra: String = "") throws -> TemporaryProject {
        try TemporaryProject(files: [
            "src/_index.yaml": """
                version: "1.0"
                namespace: app
                entries:
                  - name: terminal
                    kind: terminal.host
                    lifecycle: \(lifecycle)

                """ + ConfigurationErrorTests.main + extra,
        ])
    }

    func boot(lifecycle: String, extra: String = "") async throws -> WippyBinary.Run {
        let project = try project(lifecycle: lifecycle, extra: extra)
        return try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
    }

    @Test(arguments: [
        ("\"yes\"", "lifecycle must be a mapping such as {auto_start: true} (got \"yes\")"),
        ("{auto_start: \"yes\"}", "lifecycle.auto_start must be true or false (got \"yes\")"),
        ("{auto_start: true, restart: {max_attempts: \"x\"}}", "lifecycle.restart.max_attempts must be a whole number (got \"x\")"),
        ("{auto_start: true, restart: {max_attempts: -3}}", "lifecycle.restart.max_attempts must be 0 (no limit) or more (got -3)"),
        ("{auto_start: true, restart: {initial_delay: \"-1s\"}}", "lifecycle.restart.initial_delay must be a duration of zero or more (got \"-1s\")"),
        ("{auto_start: true, stop_timeout: -5}", "lifecycle.stop_timeout must be a duration of zero or more (got -5)"),
        ("{auto_start: true, stop_timeout: [1]}", "lifecycle.stop_timeout must be a duration such as \"10s\" (got a list)"),
        ("{auto_start: true, restart: \"always\"}", "lifecycle.restart must be a mapping (got \"always\")"),
    ])
    func wrongLifecycleValuesNameFileLineAndEntry(lifecycle: String, message: String) async throws {
        let run = try await boot(lifecycle: lifecycle)
        #expect(run.status == 1)
        #expect(run.stderr == "Error: src/_index.yaml:4: entry app:terminal: \(message)\n")
    }

    @Test func serviceThatDependsOnItselfIsAnError() async throws {
        let run = try await boot(lifecycle: "{auto_start: true}", extra: """
              - name: svc
                kind: process.service
                process: main
                host: app:terminal
                lifecycle: {auto_start: true, depends_on: [svc]}

            """)
        #expect(run.status == 1)
        #expect(run.stderr.contains("src/_index.yaml:10: entry app:svc: lifecycle.depends_on names the service itself: a service cannot wait for itself"), "\(run.stderr)")
    }

    @Test func definitionFileWithEntriesButNoNamespaceIsAnError() async throws {
        let project = try TemporaryProject(files: [
            "src/_index.yaml": "version: \"1.0\"\nentries:\n  - name: terminal\n    kind: terminal.host\n",
        ])
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: src/_index.yaml:3: definition file has no `namespace:`"), "\(run.stderr)")
    }

    @Test func directoryWhoseNameIsNotUTF8IsAnError() async throws {
        let project = try self.project(lifecycle: "{auto_start: true}")
        var path = Array((project.root + "/src/bad").utf8) + [0xFF, 0]
        let created = path.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
        }
        try #require(created == 0)
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.status == 1)
        #expect(run.stderr == "Error: src/bad\\xFF: directory name is not valid UTF-8: rename it\n", "\(run.stderr)")
    }

    @Test func byteOrderMarksAtTheStartOfYAMLAndLuaFilesAreAccepted() async throws {
        let bom = "\u{FEFF}"
        let project = try TemporaryProject(files: [
            "src/_index.yaml": bom + """
                version: "1.0"
                namespace: app
                entries:
                  - name: terminal
                    kind: terminal.host
                  - name: main
                    kind: process.lua
                    source: file://main.lua

                """,
            "src/main.lua": bom + "return { main = function() return \"with a BOM\" end }\n",
        ])
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "with a BOM\n")
    }

    @Test func manyWorkersAreBoundedAndTheBoundIsLogged() async throws {
        let project = try project(lifecycle: "{auto_start: true}", extra: """
              - name: processes
                kind: process.host
                host: {workers: 100000}
                lifecycle: {auto_start: true}

            """)
        let verbose = try await WippyBinary.run(["run", "-v", "-x", "app:main"], in: project.root)
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stdout.contains("\nran\n"))  // -v logs on stdout too
        #expect(verbose.stdout.contains("host app:processes: 100000 workers requested, using "), "\(verbose.stdout)")
    }

    @Test func missingProjectDirectoryOrLockFileIsAnError() async throws {
        let project = try TemporaryProject.withMain("return { main = function() return 0 end }")
        let missingDirectory = try await WippyBinary.run(["run", "-d", project.root + "/nowhere", "-x", "app:main"], in: project.root)
        #expect(missingDirectory.status == 1)
        #expect(missingDirectory.stderr == "Error: project directory \(project.root)/nowhere does not exist\n")
        let missingLock = try await WippyBinary.run(["run", "-l", "other.lock", "-x", "app:main"], in: project.root)
        #expect(missingLock.status == 1)
        #expect(missingLock.stderr.hasPrefix("Error: no lock file other.lock in \(project.root):"), "\(missingLock.stderr)")
    }

    @Test func runWithoutALockFileSaysWhatItExpected() async throws {
        let project = try TemporaryProject(files: [:], lock: false)
        let run = try await WippyBinary.run(["run"], in: project.root, timeout: 30)
        #expect(run.status == 1)
        #expect(run.stderr.contains("no lock file wippy.lock in "), "\(run.stderr)")
        #expect(run.stderr.contains("wippy init"))
    }
}
