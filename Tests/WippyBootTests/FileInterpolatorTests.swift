import Foundation
import Testing
import WippyCore

@testable import WippyBoot

@Suite struct FileInterpolatorTests {
    @Test func relativeReferencesAreReadFromTheDefinitionDirectory() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/app/worker.lua", "return 1\n")
            try project.write("src/shared/lib.lua", "return 2\n")
            try project.write(
                "src/app/_index.yaml",
                """
                namespace: app
                entries:
                  - name: worker
                    kind: process.lua
                    source: file://worker.lua
                    helper: file://../shared/lib.lua
                """)
            let entry = try #require(try loadEntries(project)["app:worker"])
            #expect(entry.data["source"] == .string("return 1\n"))
            #expect(entry.data["helper"] == .string("return 2\n"))
            #expect(entry.origin?.inlinedFiles == ["source": "src/app/worker.lua", "helper": "src/shared/lib.lua"])
        }
    }

    @Test func absoluteReferencesAreRelativeToTheTreeRoot() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/lib/util.lua", "return 'util'\n")
            try project.write(
                "src/deep/er/_index.yaml",
                "namespace: deep\nentries:\n  - name: lib\n    kind: library.lua\n    source: file:///lib/util.lua\n")
            let entry = try #require(try loadEntries(project)["deep:lib"])
            #expect(entry.data["source"] == .string("return 'util'\n"))
            #expect(entry.origin?.inlinedFiles["source"] == "src/lib/util.lua")
        }
    }

    @Test func nestedAndMetaReferencesAndTheDataKeyRule() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/README.md", "# Readme\n")
            try project.write("src/intro.md", "intro\n")
            try project.write("src/code.lua", "return 3\n")
            try project.write(
                "src/_index.yaml",
                """
                namespace: app
                meta: {doc: file://README.md}
                entries:
                  - name: def
                    kind: ns.definition
                    meta: {notes: file://intro.md}
                    readme: file://README.md
                    wiki: {intro: file://intro.md}
                    pages: [file://intro.md]
                  - name: wrapped
                    kind: library.lua
                    data: {source: file://code.lua}
                """)
            let entries = try loadEntries(project)
            let def = try #require(entries["app:def"])
            #expect(def.meta["doc"] == .string("# Readme\n"))
            #expect(def.meta["notes"] == .string("intro\n"))
            #expect(def.data["wiki"] == .map([("intro", "intro\n")]))
            #expect(def.data["pages"] == .array(["intro\n"]))
            #expect(def.origin?.inlinedFiles == [
                "meta.notes": "src/intro.md", "readme": "src/README.md", "wiki.intro": "src/intro.md", "pages.1": "src/intro.md",
            ])
            let wrapped = try #require(entries["app:wrapped"])
            #expect(wrapped.data == .map([("source", "return 3\n")]))
            #expect(wrapped.origin?.inlinedFiles == ["source": "src/code.lua"])
        }
    }

    @Test func missingSourceFileErrorNamesFileLineEntryAndPath() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/app/_index.yaml",
                """
                namespace: app
                entries:
                  - name: other
                    kind: registry.entry
                  - name: worker
                    kind: process.lua
                    source: file://worker.lua
                """)
            let error = try #require(loadError(project))
            #expect(error.description == "src/app/_index.yaml:5: entry app:worker: source file not found: worker.lua (resolved to src/app/worker.lua)")
            #expect(error.file == "src/app/_index.yaml")
            #expect(error.line == 5)
            #expect(error.entry == "app:worker")
        }
    }

    @Test func pathTraversalIsRejected() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("secret.txt", "top secret\n")
            try project.write(
                "src/_index.yaml",
                "namespace: app\nentries:\n  - name: sneaky\n    kind: library.lua\n    source: file://../secret.txt\n")
            let error = try #require(loadError(project))
            #expect(error.entry == "app:sneaky")
            #expect(error.message.contains("path traversal"))
        }
    }

    @Test func absoluteTraversalIsRejectedToo() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("secret.txt", "top secret\n")
            try project.write(
                "src/_index.yaml",
                "namespace: app\nentries:\n  - name: sneaky\n    kind: library.lua\n    source: file:///../secret.txt\n")
            #expect(loadError(project)?.message.contains("path traversal") == true)
        }
    }

    @Test func resolveCleansPathsInsideTheRoot() throws {
        let interpolator = FileInterpolator(treeRoot: "/p/src", baseDirectory: "/p/src/a", projectRoot: "/p", file: "src/a/x.yaml")
        #expect(try interpolator.resolve(reference: "file://./b/../c.lua") == "/p/src/a/c.lua")
        #expect(try interpolator.resolve(reference: "file://../c.lua") == "/p/src/c.lua")
        #expect(try interpolator.resolve(reference: "file:///x//y.lua") == "/p/src/x/y.lua")
        #expect(throws: ProjectError.self) { try interpolator.resolve(reference: "file://../../c.lua") }
        #expect(throws: ProjectError.self) { try interpolator.resolve(reference: "file://../../src2/c.lua") }
        #expect(throws: ProjectError.self) { try interpolator.resolve(reference: "file://") }
    }

    @Test func invalidUTF8ContentsBecomeBytes() throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: b\n    kind: k\n    blob: file://blob.bin\n")
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: project.root + "/src/blob.bin"), options: [])
        #expect(try loadEntries(project)["app:b"]?.data["blob"] == .bytes([0xFF, 0xFE, 0x00]))
    }
}
