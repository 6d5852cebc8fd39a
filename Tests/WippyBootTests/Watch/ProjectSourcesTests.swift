import Testing
import WippyBoot

@Suite struct ProjectSourcesTests {
    let sources = ProjectSources(
        projectRoot: "/p", lockFile: "/p/wippy.lock", trees: ["/p/src", "/p/.wippy/vendor/acme/kit"],
        referenced: ["/p/src/_index.yaml", "/p/src/code.lua", "/p/src/template.html"])

    @Test func lockFileAndDefinitionFilesAreRelevant() {
        #expect(sources.isRelevant(WatchedChange(path: "/p/wippy.lock")))
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/new/entries.yaml")))
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/more.yml")))
        #expect(sources.isRelevant(WatchedChange(path: "/p/.wippy/vendor/acme/kit/index.json")))
    }

    @Test func referencedFilesAndDirectoriesAreRelevant() {
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/code.lua")))
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/template.html")))
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/gone", isDirectory: true)))
    }

    @Test func unreferencedAndOutsideFilesAreNot() {
        #expect(!sources.isRelevant(WatchedChange(path: "/p/src/unused.lua")))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/src/.code.lua.swp")))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/notes.yaml")))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/srcfoo/a.yaml")))
    }

    /// After a rejection (say, a `file://` target missing), any real file in a tree may be the fix.
    @Test func afterRejectionAnyNonScratchFileInATreeIsRelevant() {
        #expect(sources.isRelevant(WatchedChange(path: "/p/src/unused.lua"), afterRejection: true))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/src/unused.lua~"), afterRejection: true))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/src/4913"), afterRejection: true))
        #expect(!sources.isRelevant(WatchedChange(path: "/p/other.lua"), afterRejection: true))
    }

    @Test func watchRootsAreTheTreesAndTheLockFileDirectory() {
        #expect(sources.watchRoots == [
            FileWatcher.Root(path: "/p/src"), FileWatcher.Root(path: "/p/.wippy/vendor/acme/kit"),
            FileWatcher.Root(path: "/p", recursive: false),
        ])
    }

    @Test func learnsReferencedFilesFromALoadedProject() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", """
                version: "1.0"
                namespace: app
                entries:
                  - name: f
                    kind: function.lua
                    source: file://code/f.lua
                    method: run
                """)
            try project.write("src/code/f.lua", "return { run = function() return 1 end }\n")
            let loader = ProjectLoader(projectRoot: project.root)
            let sources = ProjectSources(project: try loader.load(), loader: loader)
            #expect(sources.trees == [project.root + "/src"])
            #expect(sources.referenced == [project.root + "/src/_index.yaml", project.root + "/src/code/f.lua"])
            #expect(sources.display(project.root + "/src/code/f.lua") == "src/code/f.lua")
        }
    }

    @Test func vendoredModuleTreesAreWatched() throws {
        try TemporaryProject.with { project in
            try project.writeLock("modules:\n    - name: acme/kit\n      version: v1.0.0\n      hash: abc\n")
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: c\n    kind: registry.entry\n")
            try project.write(".wippy/vendor/acme/kit/wippy.yaml", "organization: acme\nmodule: kit\n")
            try project.write(".wippy/vendor/acme/kit/src/_index.yaml",
                "namespace: acme.kit\nentries:\n  - name: lib\n    kind: library.lua\n    source: file://lib.lua\n")
            try project.write(".wippy/vendor/acme/kit/src/lib.lua", "return {}\n")
            let loader = ProjectLoader(projectRoot: project.root)
            let sources = ProjectSources(project: try loader.load(), loader: loader)
            let kit = project.root + "/.wippy/vendor/acme/kit"
            #expect(sources.trees.count == 2)
            #expect(sources.trees.last?.hasPrefix(kit) == true)
            #expect(sources.isRelevant(WatchedChange(path: kit + "/src/lib.lua")))
            #expect(sources.watchRoots.contains(FileWatcher.Root(path: sources.trees[1])))
        }
    }
}
