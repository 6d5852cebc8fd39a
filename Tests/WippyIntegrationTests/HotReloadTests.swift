import Foundation
import Synchronization
import Testing
import WippyTestSupport

/// `wippy run` reloads saved changes (issue 3, item 8): a service keeps calling a function while its Lua file
/// and the YAML change under it; untouched processes keep their PIDs; a broken save is rejected with one log
/// line while the old code keeps serving, and the fixed save applies.
@Suite struct HotReloadTests {
    /// A running `wippy run` whose stdout and stderr are collected as they come.
    final class Daemon: Sendable {
        let process: Process
        private let output = Mutex<String>("")

        init(in directory: String, arguments: [String] = ["run"]) throws {
            let (process, out, err) = try WippyBinary.start(arguments, in: directory)
            self.process = process
            for pipe in [out, err] {
                let handle = pipe.fileHandleForReading
                DispatchQueue.global().async { [self] in
                    while true {
                        let chunk = handle.availableData
                        if chunk.isEmpty { break }
                        output.withLock { $0 += String(decoding: chunk, as: UTF8.self) }
                    }
                }
            }
        }

        var text: String { output.withLock { $0 } }
        var lines: [Substring] { text.split(separator: "\n") }

        /// Waits (up to `timeout` seconds) until `condition` holds for the lines logged so far.
        func wait(timeout: Double = 20, _ condition: ([Substring]) -> Bool) async throws -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if condition(lines) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return condition(lines)
        }

        func stop() async throws {
            if process.isRunning { kill(process.processIdentifier, SIGTERM) }
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// `(pid, value)` of each `ticker <pid> <value>` line, in order.
    static func tickers(_ lines: some Sequence<Substring>, name: String = "ticker") -> [(pid: String, value: String)] {
        lines.compactMap { line in
            guard let range = line.range(of: " \(name) {") else { return nil }
            let words = line[range.upperBound...].split(separator: " ", maxSplits: 2)
            guard words.count >= 2 else { return nil }
            return ("{" + words[0], String(words[1]))
        }
    }

    static func copyFixture() throws -> String {
        let root = TemporaryPaths.unique("wippy-hotreload-")
        try FileManager.default.copyItem(atPath: WippyBinary.fixture("hotreload"), toPath: root)
        return root
    }

    static func write(_ root: String, _ path: String, _ text: String) throws {
        try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
    }

    static func greet(_ body: String) -> String { "local function greet()\n    \(body)\nend\n\nreturn { greet = greet }\n" }

    @Test func savedChangesApplyWhileRunning() async throws {
        let root = try HotReloadTests.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let daemon = try Daemon(in: root)
        func tickers() -> [(pid: String, value: String)] { HotReloadTests.tickers(daemon.lines) }
        func keepers() -> Set<String> { Set(HotReloadTests.tickers(daemon.lines, name: "keeper").map(\.pid)) }
        do {
            // `runtime ready` is logged once the watcher is on.
            #expect(try await daemon.wait { lines in
                tickers().contains { $0.value == "v1" } && !keepers().isEmpty && lines.contains { $0.contains("runtime ready") }
            })
            let tickerPID = try #require(tickers().first?.pid)

            // The function's Lua file changes: the next calls return the new value, no process restarts.
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v2\""))
            #expect(try await daemon.wait { _ in tickers().contains { $0.value == "v2" } })
            #expect(daemon.text.contains("reloaded src/greet.lua: updated app:greet"))

            // The YAML gains a second service: it starts.
            var index = try String(contentsOfFile: root + "/src/_index.yaml", encoding: .utf8)
            index += """
                  - name: second
                    kind: process.lua
                    modules: [logger, time]
                    source: |
                      local logger = require("logger")
                      local time = require("time")
                      return { main = function()
                        local events = process.events()
                        while true do
                          logger:info("second " .. tostring(process.pid()) .. " up")
                          local r = channel.select({events:case_receive(), time.after("50ms"):case_receive()})
                          if r.channel == events and r.value.kind == process.event.CANCEL then return 0 end
                        end
                      end }
                  - name: second.service
                    kind: process.service
                    process: app:second
                    host: app:processes
                    lifecycle: {auto_start: true}

                """
            try HotReloadTests.write(root, "src/_index.yaml", index)
            #expect(try await daemon.wait { lines in !HotReloadTests.tickers(lines, name: "second").isEmpty })
            #expect(daemon.text.contains("service app:second.service is running"))

            // A syntax error: one error line naming the file and line; the old code keeps serving.
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v3\" +"))
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("reload rejected") } })
            let rejected = daemon.lines.filter { $0.contains("ERROR") }
            #expect(rejected.count == 1)
            #expect(rejected.first?.contains("src/greet.lua:3") == true)
            #expect(rejected.first?.contains("app:greet") == true)
            let servedBefore = tickers().count
            #expect(try await daemon.wait { _ in tickers().count >= servedBefore + 3 })
            #expect(tickers().dropFirst(servedBefore).allSatisfy { $0.value == "v2" })

            // The fixed save applies.
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v3\""))
            #expect(try await daemon.wait { _ in tickers().contains { $0.value == "v3" } })

            // Nothing the changes did not touch restarted.
            #expect(Set(tickers().map(\.pid)) == [tickerPID])
            #expect(keepers().count == 1)
            #expect(!daemon.text.contains("is failed"))
        }
        try await daemon.stop()
        #expect(daemon.process.terminationStatus == 0)
    }

    @Test func noWatchKeepsTheBootVersion() async throws {
        let root = try HotReloadTests.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let daemon = try Daemon(in: root, arguments: ["run", "--no-watch"])
        #expect(try await daemon.wait { _ in HotReloadTests.tickers(daemon.lines).contains { $0.value == "v1" } })
        try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v2\""))
        // Give a watcher, were there one, ample time; then the value must still be the boot one.
        let served = HotReloadTests.tickers(daemon.lines).count
        #expect(try await daemon.wait { _ in HotReloadTests.tickers(daemon.lines).count >= served + 10 })
        #expect(HotReloadTests.tickers(daemon.lines).allSatisfy { $0.value == "v1" })
        try await daemon.stop()
    }
}
