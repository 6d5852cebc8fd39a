import Foundation
import Testing
import WippyBoot

/// The watcher never goes deaf when its root goes away (issue 7, item 4): a source directory moved away and
/// back, removed and restored, or not there yet is followed, with real directories and real inotify.
@Suite struct FileWatcherRootTests {
    typealias Batches = FileWatcherTests.Batches

    /// Starts a watcher on `<project>/src` (recursive) and the project directory (its own files), as hot
    /// reload does; runs `body`; stops it.
    func watching(_ project: TemporaryProject, _ body: (FileWatcher, Batches) throws -> Void) throws {
        try FileWatcherTests.watching(
            [FileWatcher.Root(path: project.root + "/src"), FileWatcher.Root(path: project.root, recursive: false)], body)
    }

    func withTree(_ body: (TemporaryProject) throws -> Void) throws { try FileWatcherTests.withTree(body) }

    @Test func followsTheRootMovedAwayAndBack() throws {
        try withTree { project in
            try watching(project) { watcher, batches in
                let src = project.root + "/src"
                #expect(rename(src, project.root + "/away") == 0)
                #expect(batches.waitFor(src))
                // Edits in the moved-away tree are not the project's any more.
                try project.write("away/lib/code.lua", "return 2\n")
                #expect(rename(project.root + "/away", src) == 0)
                #expect(batches.wait { _ in watcher.watchedDirectories.contains(src + "/lib") })
                try project.write("src/lib/code.lua", "return 3\n")
                #expect(batches.waitFor(src + "/lib/code.lua"))
                #expect(!batches.paths.contains(project.root + "/away/lib/code.lua"))
            }
        }
    }

    @Test func followsTheRootRemovedAndRestored() throws {
        try withTree { project in
            try watching(project) { watcher, batches in
                let src = project.root + "/src"
                try FileManager.default.removeItem(atPath: src)
                #expect(batches.waitFor(src))
                #expect(batches.wait { _ in !watcher.watchedDirectories.contains(src) })
                // Restored the way a checkout does it: the directory, then the files in it.
                try project.write("src/lib/code.lua", "return 4\n")
                try project.write("src/_index.yaml", "a: 2\n")
                #expect(batches.wait { _ in watcher.watchedDirectories.contains(src + "/lib") })
                let before = batches.all.count
                try project.write("src/lib/code.lua", "return 5\n")
                #expect(batches.wait { all in all.dropFirst(before).joined().contains { $0.path == src + "/lib/code.lua" } })
            }
        }
    }

    @Test func waitsForARootThatDoesNotExistYet() throws {
        try TemporaryProject.with { project in
            try project.write("wippy.lock", "x\n")
            try watching(project) { watcher, batches in
                let src = project.root + "/src"
                #expect(!watcher.watchedDirectories.contains(src))
                try project.write("src/_index.yaml", "a: 1\n")
                #expect(batches.waitFor(src))
                #expect(batches.wait { _ in watcher.watchedDirectories.contains(src) })
                try project.write("src/more.yaml", "b: 1\n")
                #expect(batches.waitFor(src + "/more.yaml"))
            }
        }
    }

    @Test func aRootInsideAMissingParentIsWaitedForOnTheNearestParent() throws {
        try TemporaryProject.with { project in
            let batches = Batches()
            let watcher = try FileWatcher { batches.append($0) }
            let deep = project.root + "/vendor/org/module"
            watcher.watch([FileWatcher.Root(path: deep)])
            watcher.start()
            defer { watcher.stop() }
            #expect(watcher.watchedDirectories == [project.root])
            try project.write("vendor/org/module/_index.yaml", "a: 1\n")
            #expect(batches.wait { _ in watcher.watchedDirectories.contains(deep) })
            try project.write("vendor/org/module/_index.yaml", "a: 2\n")
            #expect(batches.waitFor(deep + "/_index.yaml"))
        }
    }
}
