import Foundation
import GRDB
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
        let project = try TemporaryProject(files: [
            "src/_index.yaml": """
                version: "1.0"
                namespace: app
                entries:
                  - name: terminal
                    kind: terminal.host
                    lifecycle: {auto_start: true}
                  - name: main
                    kind: process.lua
                    modules: [io]
                    source: file://main.lua
                """,
            "src/main.lua": Self.waiter,
        ])
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
        let opened = OpenWatch(path: database)
        let run = try RunningWippy(["run"], in: project.root)
        #expect(await opened.wait(within: .seconds(20)), "wippy never opened its history")
        run.signal(SIGTERM)
        let status = await run.exit(within: .seconds(3))
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

/// Reports the next time a file is opened (inotify `IN_OPEN`), from the moment it is made.
final class OpenWatch: Sendable {
    private let descriptor: Int32
    private let opened = DispatchSemaphore(value: 0)

    init(path: String) {
        descriptor = inotify_init1(Int32(IN_CLOEXEC))
        _ = inotify_add_watch(descriptor, path, UInt32(IN_OPEN))
        let descriptor = self.descriptor, opened = self.opened
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            if read(descriptor, &buffer, buffer.count) > 0 { opened.signal() }
        }
    }

    deinit { close(descriptor) }

    /// True when the file was opened within `limit`.
    func wait(within limit: Duration) async -> Bool {
        let opened = self.opened
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: opened.wait(timeout: .now() + .seconds(Int(limit.components.seconds))) == .success)
            }
        }
    }
}
