import Foundation
import GRDB
import Synchronization
import Testing

/// Issue 7 items 8 and 10: SIGINT/SIGTERM are honoured from the start of boot to the end of shutdown, and
/// the exit code says how the run ended.
@Suite struct SignalExitTests {
    /// A `-x` process that says it waits, then leaves on CANCEL.
    static let waiter = """
        return { main = function()
            io.print("waiting")
            local events = process.events()
            while true do
                if events:receive().kind == process.event.CANCEL then return 0 end
            end
        end }
        """

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func execStoppedByASignalExits128PlusTheSignal(signal: Int32, code: Int32) async throws {
        let project = try TemporaryProject.withMain(Self.waiter, modules: ["io"])
        let run = try RunningWippy(["run", "-x", "app:main"], in: project.root)
        #expect(await run.waitFor("waiting"))
        run.signal(signal)
        let status = await run.exit()
        #expect(status == code, "status \(String(describing: status)) stderr: \(run.stderr)")
        #expect(run.stderr.contains("shutting down"))
    }

    @Test func signalWhileBootingStopsAtOnceWith143() async throws {
        let project = try TemporaryProject(files: [
            "src/_index.yaml": "version: \"1.0\"\nnamespace: app\nentries:\n  - name: processes\n    kind: process.host\n"
        ])
        // Boot opens the registry history and writes its schema: a second connection holding the write lock
        // keeps that boot waiting (up to SQLite's 5 s busy timeout).
        try FileManager.default.createDirectory(atPath: project.root + "/.wippy", withIntermediateDirectories: true)
        let database = project.root + "/.wippy/registry.db"
        let lock = try HistoryLock(path: database)
        defer { lock.release() }
        let trigger = SignalOnOpen(path: database)
        let run = try RunningWippy(["run"], in: project.root)
        trigger.arm(pid: run.pid, signal: SIGTERM)
        #expect(await trigger.sent(within: .seconds(20)), "wippy never opened its history")
        let status = await run.exit()
        #expect(status == 143, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("SIGTERM while booting"))
    }

    @Test func aSecondSignalForcesTheExit() async throws {
        let project = try TemporaryProject(files: [
            "src/_index.yaml": """
                version: "1.0"
                namespace: app
                entries:
                  - name: processes
                    kind: process.host
                    lifecycle: {auto_start: true}
                  - name: stubborn
                    kind: process.lua
                    source: |
                      return { main = function()
                        local events = process.events()
                        while true do events:receive() end
                      end }
                  - name: stubborn.service
                    kind: process.service
                    process: stubborn
                    host: app:processes
                    lifecycle: {auto_start: true, stop_timeout: 60s}
                """
        ])
        let run = try RunningWippy(["run", "-v", "--history", "memory"], in: project.root)
        #expect(await run.waitFor("runtime ready"))
        run.signal(SIGINT)
        #expect(await run.waitFor("shutting down", on: .stderr))
        // The service ignores CANCEL: the graceful shutdown would wait its 60 s stop timeout.
        run.signal(SIGINT)
        #expect(await run.exit(within: .seconds(20)) == 1, "stderr: \(run.stderr)")
    }
}

/// A second SQLite connection holding the write lock of a database until released.
final class HistoryLock: @unchecked Sendable {
    private let releaseSignal = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Returns once the lock is held.
    init(path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        let held = DispatchSemaphore(value: 0)
        let release = releaseSignal, done = self.done
        Thread.detachNewThread {
            try? queue.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                held.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
            done.signal()
        }
        held.wait()
    }

    func release() {
        releaseSignal.signal()
        done.wait()
    }
}

/// Sends a signal to a process the next time a file is opened (inotify `IN_OPEN`, watched from the moment
/// this is made), from a thread of its own: nothing between the open and the signal waits for a scheduler.
final class SignalOnOpen: Sendable {
    private struct State {
        var opened = false
        var target: (pid: Int32, signal: Int32)?
        var sent = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let descriptor: Int32
    private let state = Mutex(State())

    init(path: String) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        _ = inotify_add_watch(descriptor, path, UInt32(IN_OPEN))
        let descriptor = self.descriptor
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            guard read(descriptor, &buffer, buffer.count) > 0 else { return }
            self.update { $0.opened = true }
        }
    }

    deinit { close(descriptor) }

    /// Signals `pid` once the file is opened (at once if it was).
    func arm(pid: Int32, signal: Int32) { update { $0.target = (pid, signal) } }

    private func update(_ change: (inout State) -> Void) {
        let (target, waiter) = state.withLock { state -> ((pid: Int32, signal: Int32)?, CheckedContinuation<Bool, Never>?) in
            change(&state)
            guard state.opened, let target = state.target, !state.sent else { return (nil, nil) }
            state.sent = true
            defer { state.waiter = nil }
            return (target, state.waiter)
        }
        if let target { kill(target.pid, target.signal) }
        waiter?.resume(returning: true)
    }

    /// True once the signal was sent, waiting up to `limit`.
    func sent(within limit: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLock { state -> Bool in
                        if state.sent { return true }
                        state.waiter = continuation
                        return false
                    }
                    if done { continuation.resume(returning: true) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            if !first { self.state.withLock { state in defer { state.waiter = nil }; return state.waiter }?.resume(returning: false) }
            group.cancelAll()
            return first
        }
    }
}
