import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyRuntime

/// Issue 7 item 3: `changes:apply()` (registry lock, kind handlers, the SQLite history write) never blocks
/// the worker of the calling process.
@Suite struct BlockingApplyTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          # Answers every message with a log line.
          - name: neighbour
            kind: process.lua
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local inbox = process.inbox()
                while true do
                  logger:info("pong " .. tostring(inbox:receive():payload():data()))
                end
              end }
          - name: neighbour.service
            kind: process.service
            process: neighbour
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          # Applies one changeset per message (the message names the new entry).
          - name: applier
            kind: process.lua
            modules: [logger, registry]
            source: |
              local logger = require("logger")
              return { main = function()
                local inbox = process.inbox()
                while true do
                  local name = inbox:receive():payload():data()
                  local changes = registry.snapshot():changes()
                  changes:create({id = "app:" .. name, kind = "registry.entry", data = {name = name}})
                  logger:info("applying " .. name)
                  local version, err = changes:apply()
                  logger:info("applied " .. name .. ": " .. (version and version:string() or ("failed: " .. tostring(err))))
                end
              end }
          - name: applier.service
            kind: process.service
            process: applier
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 100ms}
          # Ticks every 5 ms until a message comes, then reports the largest gap between two ticks (the first
          # one counted from when it was spawned).
          - name: ticker
            kind: process.lua
            modules: [time]
            source: |
              local time = require("time")
              return { main = function(reporter, spawned)
                local done = false
                coroutine.spawn(function() process.inbox():receive() done = true end)
                local worst, ticks = 0, 0
                local last = spawned
                local function tick()
                  local now = time.now():unix_nano()
                  if now - last > worst then worst = now - last end
                  last = now
                end
                while not done do
                  time.sleep("5ms")
                  tick()
                  ticks = ticks + 1
                end
                tick()
                process.send(reporter, "report", {worst, ticks})
              end }
          # Applies `count` changesets one after the other with the ticker on the same worker.
          - name: bulk
            kind: process.lua
            modules: [time, registry]
            source: |
              local time = require("time")
              return { main = function(count)
                local ticker = process.spawn("app:ticker", "app:processes", process.pid(), time.now():unix_nano())
                local started = time.now():unix_nano()
                for i = 1, count do
                  local changes = registry.snapshot():changes()
                  changes:create({id = "app:bulk." .. i, kind = "registry.entry", data = {i = i}})
                  local version, err = changes:apply()
                  if not version then error(err) end
                end
                local elapsed = time.now():unix_nano() - started
                process.send(ticker, "stop")
                local report = process.inbox():receive():payload():data()
                return {report[1], report[2], elapsed, registry.current_version():id()}
              end }
        """

    /// The application of these tests, with SQLite history.
    final class App: TestApplication {
        init() throws { try super.init(index: BlockingApplyTests.project, history: .sqlite()) }

        var databasePath: String { project.root + "/.wippy/registry.db" }

        /// The PID of a service once it runs.
        func pid(of service: String) async -> PID? {
            _ = await log.wait(for: "service \(service) is running")
            return (app.supervisor.service(EntryID(parsing: service)) as? ProcessService)?.pid
        }

        func send(_ pid: PID, _ text: String) {
            _ = app.node.send(to: pid, .message(Message(from: nil, topic: "test", payloads: [.string(text)])))
        }

        /// Runs process entry `id` on the application's process host and waits for its result.
        func run(_ id: String, _ arguments: [Payload]) async throws -> ProcessResult {
            let program = try #require(app.runtime.program(EntryID(parsing: id)))
            let host = try #require(app.node.host("app:processes"))
            return await withCheckedContinuation { continuation in
                let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
                app.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
            }
        }
    }

    /// Holds the history database's write lock from a second SQLite connection until released.
    final class WriteLockHolder: @unchecked Sendable {
        private let release = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)

        /// Returns once the lock is held.
        init(path: String) throws {
            let queue = try DatabaseQueue(path: path)
            let held = DispatchSemaphore(value: 0)
            let failure = Mutex<(any Error)?>(nil)
            let release = self.release
            let done = self.done
            Thread.detachNewThread {
                do {
                    try queue.writeWithoutTransaction { db in
                        try db.execute(sql: "BEGIN IMMEDIATE")
                        held.signal()
                        release.wait()
                        try db.execute(sql: "ROLLBACK")
                    }
                } catch {
                    failure.withLock { $0 = error }
                    held.signal()
                }
                done.signal()
            }
            held.wait()
            if let error = failure.withLock({ $0 }) { throw error }
        }

        func unlock() {
            release.signal()
            done.wait()
        }
    }

    @Test func theNeighbourAnswersWhileAnApplyWaitsForTheHistoryLock() async throws {
        let live = try App()
        let neighbour = try #require(await live.pid(of: "app:neighbour.service"))
        let applier = try #require(await live.pid(of: "app:applier.service"))
        let lock = try WriteLockHolder(path: live.databasePath)
        // The lock is released by a thread of its own as soon as the neighbour's answer is logged (or after
        // 60 s): not by this test's task, which the loaded test pool may run seconds late, past the history
        // database's busy timeout.
        let log = live.log
        let released = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let deadline = ContinuousClock.now + .seconds(60)
            while log.first("pong ping") == nil && ContinuousClock.now < deadline { usleep(500) }
            lock.unlock()
            released.signal()
        }
        live.send(applier, "one")
        #expect(await live.log.wait(for: "applying one") != nil)
        // The apply now waits for the write lock. The neighbour shares the applier's (only) worker.
        live.send(neighbour, "ping")
        #expect(await live.log.wait(for: "pong ping", within: .seconds(60)) != nil, "the neighbour never answered")
        #expect(await live.log.wait(for: "applied one", within: .seconds(60)) == "applied one: v1", "\(live.log.messages)")
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                released.wait()
                continuation.resume()
            }
        }
        // The neighbour answered while the apply was still waiting: its line comes first.
        let messages = live.log.messages
        let pong = try #require(messages.firstIndex { $0.hasPrefix("pong ping") })
        let applied = try #require(messages.firstIndex { $0.hasPrefix("applied one") })
        #expect(pong < applied, "the neighbour only answered after the apply ended: \(messages)")
        #expect(live.app.registry.entry(EntryID(parsing: "app:one")) != nil)
    }

    @Test func aRejectedApplyIsNilAndTheErrorWithNoVersion() async throws {
        let live = try App()
        live.app.runtime.install(
            LuaProgram(
                entryID: EntryID(parsing: "app:reject"), kind: .process,
                translatedSource: Array("""
                    return function()
                        local changes = registry.snapshot():changes()
                        changes:create({id = "app:x", kind = "no.such.kind"})
                        local function pack(...) return {n = select("#", ...), ...} end
                        local results = pack(changes:apply())
                        return {results.n, results[1] == nil, results[2]:kind(), tostring(results[2]),
                            registry.current_version():id(), #registry.versions()}
                    end
                    """.utf8),
                method: "main", modules: ["registry"], imports: [], sourceFile: nil))
        let result = try await live.run("app:reject", [])
        #expect(result.value == .array([2, true, "Invalid", "entry app:x: unknown kind 'no.such.kind'", 0, 0]), "\(result)")
    }

    /// The measurement the issue asks for (reported, not asserted on time): a process ticking every 5 ms on
    /// the worker where another applies 100 changesets to the SQLite history.
    @Test func tickingNeighbourWhileApplyingAHundredChangesets() async throws {
        let live = try App()
        _ = try #require(await live.pid(of: "app:applier.service"))
        let result = try await live.run("app:bulk", [100])
        guard let values = result.value.tableValue?.array, values.count == 4,
            let worst = values[0].intValue, let ticks = values[1].intValue, let elapsed = values[2].intValue
        else {
            Issue.record("unexpected result \(result)")
            return
        }
        #expect(values[3] == 100)
        #expect(live.app.registry.versions.count == 100)
        let milliseconds = { (nanoseconds: Int64) in String(format: "%.1f ms", Double(nanoseconds) / 1e6) }
        print("blocking apply: 100 changesets in \(milliseconds(elapsed)); neighbour ticked \(ticks) times, largest gap \(milliseconds(worst))")
    }
}
