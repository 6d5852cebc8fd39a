import Foundation
import Testing

/// Supervision seen from outside: services start in dependency order, a crashing one is restarted with
/// back-off until its attempts run out, `wippy status --json` reads the live states, and shutdown stops
/// dependents first.
@Suite struct SupervisionTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: server
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(name)
                logger:info(name .. " up")
                local events = process.events()
                while true do
                  local e = events:receive()
                  if e.kind == process.event.CANCEL then
                    logger:info(name .. " down")
                    return 0
                  end
                end
              end }
          - name: crasher
            kind: process.lua
            source: 'return { main = function() error("boom") end }'
          - name: api
            kind: process.service
            process: server
            host: processes
            input: api
            lifecycle: {auto_start: true, depends_on: [cache]}
          - name: cache
            kind: process.service
            process: server
            host: processes
            input: cache
            lifecycle: {auto_start: true, requires: [db]}
          - name: db
            kind: process.service
            process: server
            host: processes
            input: db
            lifecycle: {auto_start: true}
          - name: crash
            kind: process.service
            process: crasher
            host: processes
            lifecycle:
              auto_start: true
              restart: {initial_delay: 50ms, backoff_factor: 2, max_attempts: 3}
        """

    @Test func dependencyOrderRestartsAndLiveStatus() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": SupervisionTests.project])
        let (process, out, _) = try WippyBinary.start(["run"], in: project.root)
        let reader = OutputReader(out)
        let ready = await reader.wait(for: "gave up after 3 attempts", seconds: 15)
        let status = try await WippyBinary.run(["status", "--json"], in: project.root)
        let tree = try await WippyBinary.run(["status"], in: project.root)
        kill(process.processIdentifier, SIGINT)
        let output = await reader.rest()
        process.waitUntilExit()
        #expect(ready)
        #expect(process.terminationStatus == 0)

        // Started dependencies first (one worker: prints follow spawn order), stopped dependents first.
        let lines = output.split(separator: "\n").map(String.init)
        func index(_ text: String) -> Int { lines.firstIndex { $0.contains(text) } ?? -1 }
        #expect(index("db up") >= 0 && index("db up") < index("cache up") && index("cache up") < index("api up"))
        #expect(index("service app:api is stopped") < index("service app:cache is stopped"))
        #expect(index("service app:cache is stopped") < index("service app:db is stopped"))
        #expect(index("service app:db is stopped") < index("service app:processes is stopped"))
        #expect(lines.filter { $0.contains("service app:crash is failed") }.count == 3)

        #expect(status.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let services = (json?["services"] as? [[String: Any]]) ?? []
        func service(_ name: String) -> [String: Any] { services.first { $0["id"] as? String == "app:" + name } ?? [:] }
        for name in ["db", "cache", "api", "processes"] {
            #expect(service(name)["status"] as? String == "running", "\(name)")
        }
        #expect(service("api")["pid"] as? String != nil)
        #expect(service("api")["dependencies"] as? [String] == ["app:cache", "app:processes"])
        #expect(service("crash")["status"] as? String == "failed")
        #expect(service("crash")["retry_count"] as? Int == 3)
        #expect((service("crash")["details"] as? String ?? "").contains("boom"))
        #expect(tree.stdout.contains("app:processes (process.host) running\n"))
        #expect(tree.stdout.contains("  app:api (process.service) running pid {app:processes|"))
        #expect(tree.stdout.contains(" needs app:cache"))

        #expect(!FileManager.default.fileExists(atPath: project.root + "/.wippy/control.sock"))
        let after = try await WippyBinary.run(["status"], in: project.root)
        #expect(after.status == 1)
        #expect(after.stderr.contains("no running wippy found"))
    }
}

extension SupervisionTests {
    @Test func luaSeesSupervisorStates() async throws {
        let project = try TemporaryProject.withMain("""
                local io = require("io")
                local system = require("system")
                return { main = function()
                  for _, s in ipairs(system.supervisor.states()) do
                    io.print(s.id .. " " .. s.status .. " " .. s.desired .. " " .. s.retry_count .. " " .. tostring(s.started_at ~= nil))
                  end
                end }
                """, modules: ["io", "system"])
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.stdout == "app:terminal running running 0 true\n", "\(run.stderr)")
    }
}

/// Collects a child's stdout on a Dispatch thread (the reads block).
final class OutputReader: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    private var collected = Data()
    private var ended = false

    init(_ pipe: Pipe) {
        handle = pipe.fileHandleForReading
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = handle.availableData
                lock.withLock {
                    if chunk.isEmpty { ended = true } else { collected.append(chunk) }
                }
                if chunk.isEmpty { break }
            }
        }
    }

    var text: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }
    var isEnded: Bool { lock.withLock { ended } }

    /// Waits until the output contains `needle`; false after `seconds` or at the end of the output.
    func wait(for needle: String, seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if text.contains(needle) { return true }
            if isEnded { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return text.contains(needle)
    }

    /// Everything, once the output ended (at most 30 s).
    func rest() async -> String {
        let deadline = Date().addingTimeInterval(30)
        while !isEnded, Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return text
    }
}
