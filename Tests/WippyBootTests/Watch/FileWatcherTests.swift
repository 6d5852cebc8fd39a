import Foundation
import Synchronization
import Testing
import WippyBoot

/// The watcher on real directories with real inotify. Waits poll with a generous timeout; no assertion
/// depends on how fast the machine is, except the coalescing test, whose quiet window is half a second.
@Suite struct FileWatcherTests {
    /// The batches a watcher reported, in order.
    final class Batches: Sendable {
        private let batches = Mutex<[[WatchedChange]]>([])
        func append(_ batch: [WatchedChange]) { batches.withLock { $0.append(batch) } }
        var all: [[WatchedChange]] { batches.withLock { $0 } }
        var paths: Set<String> { Set(all.joined().map(\.path)) }

        /// Waits (up to 10 s) until `condition` holds.
        func wait(_ condition: ([[WatchedChange]]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if condition(all) { return true }
                usleep(5_000)
            }
            return condition(all)
        }

        func waitFor(_ path: String) -> Bool { wait { $0.joined().contains { $0.path == path } } }
    }

    /// Starts a watcher on `roots`, runs `body`, stops it.
    static func watching(
        _ roots: [FileWatcher.Root], quietWindow: Duration = .milliseconds(30), maximumDelay: Duration = .milliseconds(500),
        _ body: (FileWatcher, Batches) throws -> Void
    ) throws {
        let batches = Batches()
        let watcher = try FileWatcher(quietWindow: quietWindow, maximumDelay: maximumDelay) { batches.append($0) }
        watcher.watch(roots)
        watcher.start()
        defer { watcher.stop() }
        try body(watcher, batches)
    }

    /// Starts a watcher on `root` (recursive), runs `body`, stops it.
    func watching(
        _ root: String, quietWindow: Duration = .milliseconds(30), maximumDelay: Duration = .milliseconds(500),
        _ body: (FileWatcher, Batches) throws -> Void
    ) throws {
        try Self.watching([FileWatcher.Root(path: root)], quietWindow: quietWindow, maximumDelay: maximumDelay, body)
    }

    /// A project with `src/_index.yaml` and `src/lib/code.lua`.
    static func withTree(_ body: (TemporaryProject) throws -> Void) throws {
        try TemporaryProject.with { project in
            try project.write("src/_index.yaml", "a: 1\n")
            try project.write("src/lib/code.lua", "return 1\n")
            try body(project)
        }
    }

    func withTree(_ body: (TemporaryProject) throws -> Void) throws { try Self.withTree(body) }

    @Test func reportsCreatedFile() throws {
        try withTree { project in
            try watching(project.root + "/src") { _, batches in
                try project.write("src/new.yaml", "b: 2\n")
                #expect(batches.waitFor(project.root + "/src/new.yaml"))
            }
        }
    }

    @Test func reportsModifiedFileInSubdirectory() throws {
        try withTree { project in
            try watching(project.root + "/src") { _, batches in
                try project.write("src/lib/code.lua", "return 2\n")
                #expect(batches.waitFor(project.root + "/src/lib/code.lua"))
            }
        }
    }

    @Test func reportsAtomicRenameOver() throws {
        try withTree { project in
            try watching(project.root + "/src") { _, batches in
                try project.write("src/lib/.code.lua.tmp", "return 3\n")
                #expect(rename(project.root + "/src/lib/.code.lua.tmp", project.root + "/src/lib/code.lua") == 0)
                #expect(batches.waitFor(project.root + "/src/lib/code.lua"))
                #expect(try project.read("src/lib/code.lua") == "return 3\n")
            }
        }
    }

    @Test func reportsDeletedFile() throws {
        try withTree { project in
            try watching(project.root + "/src") { _, batches in
                try FileManager.default.removeItem(atPath: project.root + "/src/lib/code.lua")
                #expect(batches.waitFor(project.root + "/src/lib/code.lua"))
            }
        }
    }

    @Test func watchesNewSubdirectoriesAndDropsRemovedOnes() throws {
        try withTree { project in
            try watching(project.root + "/src") { watcher, batches in
                try FileManager.default.createDirectory(atPath: project.root + "/src/fresh/deeper", withIntermediateDirectories: true)
                #expect(batches.wait { _ in watcher.watchedDirectories.contains(project.root + "/src/fresh/deeper") })
                try project.write("src/fresh/deeper/late.yaml", "c: 3\n")
                #expect(batches.waitFor(project.root + "/src/fresh/deeper/late.yaml"))

                try FileManager.default.removeItem(atPath: project.root + "/src/fresh")
                #expect(batches.wait { _ in !watcher.watchedDirectories.contains { $0.hasPrefix(project.root + "/src/fresh") } })
                #expect(watcher.watchedDirectories == [project.root + "/src", project.root + "/src/lib"])
            }
        }
    }

    /// A directory moved in with files already inside: the files are reported although no event named them.
    @Test func reportsFilesOfDirectoryMovedIn() throws {
        try withTree { project in
            try project.write("outside/pack/entries.yaml", "d: 4\n")
            try watching(project.root + "/src") { watcher, batches in
                #expect(rename(project.root + "/outside/pack", project.root + "/src/pack") == 0)
                #expect(batches.waitFor(project.root + "/src/pack/entries.yaml"))
                #expect(watcher.watchedDirectories.contains(project.root + "/src/pack"))
            }
        }
    }

    @Test func skipsHiddenDirectories() throws {
        try withTree { project in
            try project.write("src/.git/HEAD", "ref\n")
            try watching(project.root + "/src") { watcher, batches in
                #expect(!watcher.watchedDirectories.contains(project.root + "/src/.git"))
                try project.write("src/.git/HEAD", "other\n")
                try project.write("src/marker.yaml", "e: 5\n")
                #expect(batches.waitFor(project.root + "/src/marker.yaml"))
                #expect(!batches.paths.contains(project.root + "/src/.git/HEAD"))
            }
        }
    }

    /// An editor's save (temporary file, rename over, backup removed) inside the quiet window is one batch.
    @Test func coalescesABurstIntoOneBatch() throws {
        try withTree { project in
            try watching(project.root + "/src", quietWindow: .milliseconds(500), maximumDelay: .seconds(5)) { _, batches in
                let file = project.root + "/src/lib/code.lua"
                try project.write("src/lib/code.lua~", "return 1\n")
                try project.write("src/lib/.code.lua.swp", "return 4\n")
                #expect(rename(project.root + "/src/lib/.code.lua.swp", file) == 0)
                try FileManager.default.removeItem(atPath: file + "~")
                #expect(batches.waitFor(file))
                #expect(batches.all.count == 1)
                #expect(Set(batches.all[0].map(\.path)).isSuperset(of: [file, file + "~", project.root + "/src/lib/.code.lua.swp"]))
            }
        }
    }

    @Test func filterDropsChangesBeforeTheyStartABatch() throws {
        try withTree { project in
            let batches = Batches()
            let watcher = try FileWatcher(filter: { $0.path.hasSuffix(".yaml") }) { batches.append($0) }
            watcher.watch([FileWatcher.Root(path: project.root + "/src")])
            watcher.start()
            defer { watcher.stop() }
            try project.write("src/lib/code.lua", "return 5\n")
            try project.write("src/_index.yaml", "a: 2\n")
            #expect(batches.waitFor(project.root + "/src/_index.yaml"))
            #expect(!batches.paths.contains(project.root + "/src/lib/code.lua"))
        }
    }

    @Test func stopReturnsAndNoMoreBatchesArrive() throws {
        try withTree { project in
            let batches = Batches()
            let watcher = try FileWatcher { batches.append($0) }
            watcher.watch([FileWatcher.Root(path: project.root + "/src")])
            watcher.start()
            try project.write("src/before.yaml", "e: 5\n")
            #expect(batches.waitFor(project.root + "/src/before.yaml"))
            // stop() returns once the watcher's thread has ended: nothing can report a batch after it
            watcher.stop()
            let seen = batches.all.count
            try project.write("src/after.yaml", "f: 6\n")
            #expect(batches.all.count == seen)
            #expect(!batches.paths.contains(project.root + "/src/after.yaml"))
        }
    }
}
