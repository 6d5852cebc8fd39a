import Foundation
import Testing
import WippyCore

@testable import WippyBoot

@Suite struct ProjectLoaderTests {
    private static let registryEntry = "    kind: registry.entry\n"

    @Test func noLockFileIsAnErrorThatSaysWhatAProjectLooksLike() throws {
        try TemporaryProject.with { project in
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: a\n" + Self.registryEntry)
            let error = try #require(loadError(project))
            #expect(error.message.contains("no lock file wippy.lock"))
            #expect(error.message.contains("wippy init"))
        }
    }

    @Test func missingProjectDirectoryIsAnError() throws {
        let error = try #require(throws: ProjectError.self) {
            try ProjectLoader(projectRoot: "/nonexistent-wippy-project").load()
        }
        #expect(error.message == "project directory /nonexistent-wippy-project does not exist")
    }

    @Test func missingSourceDirectoryIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            let error = try #require(loadError(project))
            #expect(error.file == "wippy.lock")
            #expect(error.message.contains("source directory ./src"))
        }
    }

    @Test func malformedLockNamesTheLockAndLine() throws {
        try TemporaryProject.with { project in
            try project.write("wippy.lock", "directories:\n  src: ./src\n modules: [\n")
            let error = try #require(loadError(project))
            #expect(error.file == "wippy.lock")
            #expect(error.line != nil)
        }
    }

    @Test func duplicateIDsAcrossFilesNameBothPlaces() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/a/_index.yaml", "namespace: app\nentries:\n  - name: dup\n" + Self.registryEntry)
            try project.write("src/b/_index.yaml", "namespace: app\nentries:\n  - name: other\n" + Self.registryEntry + "  - name: dup\n" + Self.registryEntry)
            let error = try #require(loadError(project))
            #expect(error.description == "src/b/_index.yaml:5: entry app:dup: duplicate entry id app:dup: already defined at src/a/_index.yaml:3")
        }
    }

    @Test func duplicateIDsWithinOneFileAreAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: x\n" + Self.registryEntry + "  - name: x\n" + Self.registryEntry)
            let error = try #require(loadError(project))
            #expect(error.line == 5)
            #expect(error.message.contains("already defined at src/_index.yaml:3"))
        }
    }

    @Test func nodeModulesAndHiddenDirectoriesAreSkipped() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: real\n" + Self.registryEntry)
            try project.write("src/node_modules/pkg/_index.yaml", "namespace: app\nentries:\n  - name: npm\n" + Self.registryEntry)
            try project.write("src/web/node_modules/x.yaml", "namespace: app\nentries:\n  - name: npm2\n" + Self.registryEntry)
            try project.write("src/.git/config.yaml", "namespace: app\nentries:\n  - name: git\n" + Self.registryEntry)
            try project.write("src/.cache/bad.yaml", ": : : broken [")
            #expect(try loadEntries(project).keys.sorted() == ["app:real"])
        }
    }

    @Test func defaultSourceDirectoryIsTheProjectAndSkipsDotWippy() throws {
        try TemporaryProject.with { project in
            try project.write("wippy.lock", "modules: []\n")
            try project.write("app.yaml", "namespace: app\nentries:\n  - name: top\n" + Self.registryEntry)
            try project.write(".wippy/vendor/x/y/_index.yaml", "namespace: vendored\nentries:\n  - name: no\n" + Self.registryEntry)
            let loaded = try ProjectLoader(projectRoot: project.root).load()
            #expect(loaded.lockFile?.sourceDirectory == ".")
            #expect(loaded.entries.map(\.id.description) == ["app:top"])
            #expect(loaded.entries.first?.origin?.file == "app.yaml")
        }
    }

    @Test func entriesAreSortedByIDAndLoadsAreDeterministic() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/z.yaml", "namespace: b\nentries:\n  - name: z\n" + Self.registryEntry + "  - name: a\n" + Self.registryEntry)
            try project.write("src/a/_index.yaml", "namespace: a.b\nentries:\n  - name: m\n" + Self.registryEntry)
            try project.write("src/a.yaml", "namespace: a\nentries:\n  - name: q\n" + Self.registryEntry)
            let first = try ProjectLoader(projectRoot: project.root).load()
            #expect(first.entries.map(\.id.description) == ["a.b:m", "a:q", "b:a", "b:z"])
            let second = try ProjectLoader(projectRoot: project.root).load()
            #expect(second.entries == first.entries)
            #expect(second.entries.map(\.origin) == first.entries.map(\.origin))
        }
    }

    @Test func scannerWalksInByteOrderPerDirectory() throws {
        try TemporaryProject.with { project in
            for path in ["src/b.yaml", "src/a/x.yml", "src/a.json", "src/A.yaml", "src/c.txt"] { try project.write(path, "") }
            let files = try DefinitionScanner.definitionFiles(under: project.root + "/src")
            let relative = files.map { String($0.dropFirst(project.root.count + 1)) }
            #expect(relative == ["src/A.yaml", "src/a/x.yml", "src/a.json", "src/b.yaml"])
        }
    }

    @Test func vendoredModuleDirectoriesAreLoadedWithModuleMeta() throws {
        try TemporaryProject.with { project in
            try project.writeLock(
                """
                modules:
                    - name: acme/http
                      version: v1.2.0
                      hash: abc
                    - name: acme/flat
                      version: v0.1.0
                      hash: def
                """)
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: main\n" + Self.registryEntry)
            try project.write(".wippy/vendor/acme/http/wippy.yaml", "organization: acme\nmodule: http\n")
            try project.write(".wippy/vendor/acme/http/src/_index.yaml", "namespace: acme.http\nentries:\n  - name: server\n    kind: library.lua\n    source: file:///lib.lua\n")
            try project.write(".wippy/vendor/acme/http/src/lib.lua", "return {}\n")
            try project.write(".wippy/vendor/acme/flat/_index.yaml", "namespace: acme.flat\nentries:\n  - name: thing\n    meta: {module: ignored}\n" + Self.registryEntry)
            let loaded = try ProjectLoader(projectRoot: project.root).load()
            let entries = Dictionary(uniqueKeysWithValues: loaded.entries.map { ($0.id.description, $0) })
            let server = try #require(entries["acme.http:server"])
            #expect(server.meta["module"] == .string("acme/http"))
            #expect(server.meta["module_version"] == .string("v1.2.0"))
            #expect(server.data["source"] == .string("return {}\n"))
            #expect(server.origin?.file == ".wippy/vendor/acme/http/src/_index.yaml")
            #expect(server.origin?.inlinedFiles["source"] == ".wippy/vendor/acme/http/src/lib.lua")
            #expect(entries["acme.flat:thing"]?.meta["module"] == .string("acme/flat"))
            #expect(entries["acme.flat:thing"]?.meta["module_version"] == .string("v0.1.0"))
            #expect(entries["app:main"]?.meta["module"] == nil)
            #expect(loaded.notes.count == 2)
        }
    }

    @Test func wappPackIsNotSupportedYet() throws {
        try TemporaryProject.with { project in
            try project.writeLock("modules:\n    - name: acme/http\n      version: v1.2.0\n      hash: abc\n")
            try project.write("src/_index.yaml", "namespace: app\nentries: []\n")
            try project.write(".wippy/vendor/acme/http-v1.2.0.wapp", "PK")
            let error = try #require(loadError(project))
            #expect(error.file == "wippy.lock")
            #expect(error.message.contains(".wapp packs are not supported yet"))
            #expect(error.message.contains(".wippy/vendor/acme/http-v1.2.0.wapp"))
        }
    }

    @Test func missingModuleSaysWhereItLookedAndThatDownloadsAreUnsupported() throws {
        try TemporaryProject.with { project in
            try project.writeLock("modules:\n    - name: acme/http\n      version: v1.2.0\n      hash: abc\n")
            try project.write("src/_index.yaml", "namespace: app\nentries: []\n")
            let error = try #require(loadError(project))
            #expect(error.message.contains("module acme/http v1.2.0 is not vendored"))
            #expect(error.message.contains(".wippy/vendor/acme/http/"))
            #expect(error.message.contains("hub is not supported yet"))
        }
    }

    @Test func modulesDirectoryEndingInVendorIsTheVendorDirectory() throws {
        try TemporaryProject.with { project in
            try project.write(
                "wippy.lock",
                "directories:\n    modules: deps/vendor\n    src: ./src\nmodules:\n    - name: o/m\n      version: v1\n      hash: h\n")
            try project.write("src/_index.yaml", "namespace: app\nentries: []\n")
            try project.write("deps/vendor/o/m/_index.yaml", "namespace: o.m\nentries:\n  - name: e\n" + Self.registryEntry)
            #expect(try loadEntries(project).keys.sorted() == ["o.m:e"])
        }
    }
}
