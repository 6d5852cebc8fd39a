import Foundation
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
import WippyModules

/// Issue 3 item 4 at the application level: registry changes reach running code. A changed function
/// serves new calls while calls in flight finish on the old code; a changed library reaches its
/// importers; a changed service restarts gracefully (CANCEL, then terminate after `stop_timeout`);
/// untouched services keep their PIDs.
@Suite struct LiveChangeTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: lib
            kind: library.lua
            source: 'return { word = function() return "one" end }'
          - name: greet
            kind: function.lua
            imports: {lib: app:lib}
            method: call
            source: |
              local lib = require("lib")
              return { call = function(name) return "greet-v1 " .. lib.word() .. " " .. name end }
          # Stays in flight until the test sends the bus event test/release.
          - name: slow
            kind: function.lua
            modules: [events, logger]
            method: call
            source: |
              local events = require("events")
              local logger = require("logger")
              return { call = function()
                local release = events.subscribe("test", "release")
                logger:info("slow started")
                release:channel():receive()
                return "slow-v1"
              end }
          # Calls the function named in each message (concurrently) and logs the result.
          - name: caller
            kind: process.lua
            modules: [funcs, logger]
            source: |
              local funcs = require("funcs")
              local logger = require("logger")
              return { main = function()
                local inbox = process.inbox()
                while true do
                  local target = inbox:receive():payload():data()
                  coroutine.spawn(function()
                    local result, err = funcs.new():call(target, "x")
                    logger:info("result " .. tostring(result or err))
                  end)
                end
              end }
          - name: caller.service
            kind: process.service
            process: caller
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          # Leaves on CANCEL, saying so.
          - name: polite
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(tag)
                logger:info("polite " .. tag .. " running")
                local events = process.events()
                while true do
                  if events:receive().kind == process.event.CANCEL then
                    logger:info("polite " .. tag .. " cancelled")
                    return
                  end
                end
              end }
          - name: polite.service
            kind: process.service
            process: polite
            host: app:processes
            input: [first]
            lifecycle: {auto_start: true, stop_timeout: 5s}
          # Ignores CANCEL: only termination after stop_timeout ends it.
          - name: stubborn
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(tag)
                logger:info("stubborn " .. tag .. " running")
                local events = process.events()
                while true do events:receive() end
              end }
          - name: stubborn.service
            kind: process.service
            process: stubborn
            host: app:processes
            input: [first]
            lifecycle: {auto_start: true, stop_timeout: 100ms}
        """

    /// The application of these tests, with history in memory.
    final class LiveApp: TestApplication {
        init() throws { try super.init(index: LiveChangeTests.project, history: .memory) }

        func pid(of service: String) -> PID? {
            (app.supervisor.service(EntryID(parsing: service)) as? ProcessService)?.pid
        }

        func call(_ function: String) {
            guard let caller = pid(of: "app:caller.service") else { return }
            _ = app.node.send(to: caller, .message(Message(from: nil, topic: "call", payloads: [.string(function)])))
        }

        func update(_ id: String, _ change: (inout PayloadTable) -> Void) throws {
            var entry = try #require(app.registry.entry(EntryID(parsing: id)))
            var data = entry.data.tableValue ?? PayloadTable()
            change(&data)
            entry.data = .table(data)
            try app.registry.apply([.update(entry)])
        }

        func count(_ line: String) -> Int { log.count(line) }

        /// Waits (up to 10 s) until `line` has been logged `times` times.
        func waitFor(_ line: String, times: Int = 1) async -> Bool {
            for _ in 0..<1000 {
                if count(line) >= times { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("never logged \(times)× \"\(line)\"; log: \(log.messages)")
            return false
        }

        func waitUntil(_ what: String, _ condition: () -> Bool) async -> Bool {
            for _ in 0..<1000 {
                if condition() { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("timed out waiting for \(what)")
            return false
        }
    }

    @Test func changedFunctionServesNewCallsWhileCallsInFlightFinishOnOldCode() async throws {
        let live = try LiveApp()
        guard await live.waitUntil("the caller service", { live.pid(of: "app:caller.service") != nil }) else { return }
        live.call("app:greet")
        guard await live.waitFor("result greet-v1 one x") else { return }
        live.call("app:slow")  // waits inside the old code until released
        guard await live.waitFor("slow started") else { return }
        try live.update("app:slow") { $0["source"] = "return { call = function() return \"slow-v2\" end }" }
        live.call("app:slow")
        guard await live.waitFor("result slow-v2") else { return }
        #expect(live.count("result slow-v1") == 0)  // the old call is still in flight
        live.app.bus.send(BusEvent(system: "test", kind: "release", path: "slow"))
        guard await live.waitFor("result slow-v1") else { return }
        // the call in flight finished on the code it started with; the new call ran the new code
        #expect(live.count("result slow-v1") == 1)
        #expect(live.count("result slow-v2") == 1)
    }

    @Test func changedLibraryReachesItsImporters() async throws {
        let live = try LiveApp()
        guard await live.waitUntil("the caller service", { live.pid(of: "app:caller.service") != nil }) else { return }
        let caller = live.pid(of: "app:caller.service")
        try live.update("app:lib") { $0["source"] = "return { word = function() return \"two\" end }" }
        live.call("app:greet")
        guard await live.waitFor("result greet-v1 two x") else { return }
        #expect(live.pid(of: "app:caller.service") == caller)  // nothing it runs changed
    }

    @Test func changedServiceRestartsGracefullyAndOthersKeepTheirPIDs() async throws {
        let live = try LiveApp()
        guard await live.waitFor("polite first running"), await live.waitFor("stubborn first running") else { return }
        let caller = try #require(live.pid(of: "app:caller.service"))
        let polite = try #require(live.pid(of: "app:polite.service"))
        let stubborn = try #require(live.pid(of: "app:stubborn.service"))

        try live.update("app:polite.service") { $0["input"] = .array(["second"]) }
        guard await live.waitFor("polite second running") else { return }
        #expect(live.count("polite first cancelled") == 1)  // asked to stop (CANCEL) and left by itself
        #expect(live.pid(of: "app:polite.service") != polite)
        #expect(!live.app.node.isAlive(polite))

        try live.update("app:stubborn.service") { $0["input"] = .array(["second"]) }
        guard await live.waitFor("stubborn second running") else { return }
        #expect(!live.app.node.isAlive(stubborn))  // terminated after its 100 ms stop_timeout

        // entries that did not change were not disturbed
        #expect(live.pid(of: "app:caller.service") == caller)
        #expect(live.app.node.isAlive(caller))
        #expect(live.count("polite second running") == 1)
    }
}
