import Foundation
import Testing

/// One runtime per project (issue 7, item 7), with the real binary: a second `wippy run` is refused while
/// readers keep working, and `-x` runs that write registry history at the same time take turns, leaving
/// every version.
@Suite struct OneRuntimeTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host
            lifecycle: {auto_start: true}
          - name: main
            kind: process.lua
            source: 'return { main = function() return "main ran" end }'
          # Records `count` versions, each creating app:<tag>_<i>, 50 ms apart (so that two runs overlap).
          - name: bump
            kind: process.lua
            modules: [registry, time]
            source: |
              local time = require("time")
              return { main = function(tag, count)
                for i = 1, tonumber(count) do
                  time.sleep("50ms")
                  local c = registry.snapshot():changes()
                  c:create({id = "app:" .. tag .. "_" .. i, kind = "registry.entry", data = {i = i}})
                  local v, err = c:apply()
                  if not v then error(tostring(err)) end
                end
                return tag .. " done"
              end }
          - name: count
            kind: process.lua
            modules: [registry]
            source: |
              return { main = function()
                return tostring(#registry.versions()) .. " versions, " .. tostring(#registry.find({[".kind"] = "registry.entry"})) .. " entries"
              end }
        """

    @Test func aSecondRunIsRefusedWhileReadersKeepWorking() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": OneRuntimeTests.index])
        let daemon = try HotReloadTests.Daemon(in: project.root)
        #expect(try await daemon.wait { lines in lines.contains { $0.contains("runtime ready") } })
        let pid = daemon.process.processIdentifier

        let second = try await WippyBinary.run(["run"], in: project.root)
        #expect(second.status == 1)
        #expect(second.stderr.contains("a wippy runtime is already running in this project (pid \(pid), `wippy run`"))
        let exec = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(exec.status == 1)
        #expect(exec.stderr.contains("already running in this project (pid \(pid)"))
        let reset = try await WippyBinary.run(["registry", "reset"], in: project.root)
        #expect(reset.status == 1)
        #expect(reset.stderr.contains("already running in this project (pid \(pid)"))

        let status = try await WippyBinary.run(["status"], in: project.root)
        #expect(status.status == 0)
        #expect(status.stdout.contains("app:terminal"))
        let list = try await WippyBinary.run(["registry", "list"], in: project.root)
        #expect(list.status == 0)
        #expect(list.stdout.contains("app:bump"))

        try await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
        let after = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(after.status == 0)
        #expect(after.stdout == "main ran\n")
    }

    @Test func execRunsWritingHistoryAtOnceTakeTurns() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": OneRuntimeTests.index])
        let root = project.root
        async let first = WippyBinary.run(["run", "-x", "app:bump", "a", "25"], in: root)
        async let second = WippyBinary.run(["run", "-x", "app:bump", "b", "25"], in: root)
        let (one, two) = try await (first, second)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(two.status == 0, "\(two.stderr)")
        #expect(one.stdout == "a done\n")
        #expect(two.stdout == "b done\n")
        #expect(!(one.stderr + two.stderr).contains("constraint"))
        let count = try await WippyBinary.run(["run", "-x", "app:count"], in: project.root)
        #expect(count.stdout == "50 versions, 50 entries\n", "\(count.stderr)")
    }
}
