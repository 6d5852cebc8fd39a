import Testing

/// A bad project stops the boot with one clear message naming the file and entry, and exit code 1.
@Suite struct BootErrorTests {
    func boot(_ files: [String: String]) async throws -> WippyBinary.Run {
        let project = try TemporaryProject(files: files)
        return try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
    }

    static let terminal = """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host
            lifecycle: {auto_start: true}

        """

    @Test func malformedYAMLNamesFileAndLine() async throws {
        let run = try await boot(["src/_index.yaml": "namespace: app\nentries:\n  - name: main\n    kind: [unclosed\n"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: src/_index.yaml:"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test func unknownKindNamesEntry() async throws {
        let run = try await boot(["src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.banana\n"])
        #expect(run.status == 1)
        #expect(run.stderr == "Error: src/_index.yaml:7: entry app:main: unknown kind 'process.banana'\n")
    }

    @Test func duplicateIDNamesBothPlaces() async throws {
        let entry = "  - name: main\n    kind: registry.entry\n"
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + entry,
            "src/more/_index.yaml": "namespace: app\nentries:\n" + entry,
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("app:main"))
        #expect(run.stderr.contains("src/_index.yaml"))
        #expect(run.stderr.contains("src/more/_index.yaml"))
    }

    @Test func missingSourceFileNamesPath() async throws {
        let run = try await boot(["src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.lua\n    source: file://nope.lua\n"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("src/_index.yaml:7"))
        #expect(run.stderr.contains("app:main"))
        #expect(run.stderr.contains("nope.lua"))
    }

    @Test func luaSyntaxErrorNamesFileLineAndColumn() async throws {
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.lua\n    source: file://main.lua\n",
            "src/main.lua": "local function main()\n  local x: = 1\n  return x\nend\nreturn {main = main}\n",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: src/main.lua:2:"))
        #expect(run.stderr.contains("(entry app:main)"))
    }

    @Test func luaErrorOnlyLuaCanFindIsReported() async throws {
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.lua\n    source: file://main.lua\n",
            "src/main.lua": "local function main()\n  goto nowhere\nend\nreturn {main = main}\n",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: src/main.lua:"))
        #expect(run.stderr.contains("no visible label 'nowhere' for <goto> at line 2"))
        #expect(run.stderr.contains("(entry app:main)"))
    }

    @Test func unknownModuleIsRejected() async throws {
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.lua\n    source: 'return {}'\n    modules: [teleport]\n",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("unknown module 'teleport'"))
    }

    @Test func missingImportIsRejected() async throws {
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + "  - name: main\n    kind: process.lua\n    source: 'return {}'\n    imports: {util: app:util}\n",
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("entry app:main: import 'util' refers to app:util, which does not exist"))
    }

    @Test func serviceWithUnknownHostIsRejected() async throws {
        let run = try await boot([
            "src/_index.yaml": BootErrorTests.terminal + """
                  - name: worker
                    kind: process.lua
                    source: 'return {main = function() end}'
                  - name: worker.service
                    kind: process.service
                    process: worker
                    host: app:nowhere

                """,
        ])
        #expect(run.status == 1)
        #expect(run.stderr.contains("entry app:worker.service: host 'app:nowhere' does not exist"))
    }
}
