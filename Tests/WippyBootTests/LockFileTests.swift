import Foundation
import Testing

@testable import WippyBoot

@Suite struct LockFileTests {
    @Test func omittedDirectoriesUseDefaults() throws {
        try TemporaryProject.with { project in
            try project.write("wippy.lock", "")
            let empty = try LockFile.read(at: project.root + "/wippy.lock")
            #expect(empty == LockFile(sourceDirectory: ".", modulesDirectory: ".wippy", modules: [], unpackModules: false))
            try project.write("wippy.lock", "directories:\n    src: ./app\n")
            let partial = try LockFile.read(at: project.root + "/wippy.lock")
            #expect(partial.sourceDirectory == "./app")
            #expect(partial.modulesDirectory == ".wippy")
        }
    }

    @Test func readsModulesAndOptionsKeepingScalarTextAsWritten() throws {
        try TemporaryProject.with { project in
            try project.write(
                "wippy.lock",
                """
                directories:
                  modules: .wippy
                  src: ./src
                modules:
                  - name: acme/http
                    version: 1.20
                    hash: 4ea8
                    local_hash: 99
                options:
                  unpack_modules: true
                replacements:
                  - from: acme/http
                    to: ../local
                """)
            let lock = try LockFile.read(at: project.root + "/wippy.lock")
            #expect(lock.modules == [LockedModule(name: "acme/http", version: "1.20", hash: "4ea8", localHash: "99")])
            #expect(lock.unpackModules)
        }
    }

    @Test func roundTripWithSortingDedupAndMode0600() throws {
        try TemporaryProject.with { project in
            let lock = LockFile(
                sourceDirectory: "./src", modulesDirectory: ".wippy",
                modules: [
                    LockedModule(name: "zeta/mod", version: "v2.0.0", hash: "ff"),
                    LockedModule(name: "acme/http", version: "v1.2.0", hash: "4ea8"),
                    LockedModule(name: "zeta/mod", version: "v2.0.0", hash: "other"),
                ],
                unpackModules: true)
            let path = project.root + "/wippy.lock"
            try lock.write(to: path)
            #expect(
                try project.read("wippy.lock") == """
                    directories:
                        modules: .wippy
                        src: ./src
                    modules:
                        - name: acme/http
                          version: v1.2.0
                          hash: 4ea8
                        - name: zeta/mod
                          version: v2.0.0
                          hash: ff
                    options:
                        unpack_modules: true

                    """)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let back = try LockFile.read(at: path)
            #expect(back.modules == lock.normalizedModules)
            #expect(back.sourceDirectory == "./src")
            #expect(back.unpackModules)
        }
    }

    @Test func defaultLockMatchesWhatWippyInitWrites() {
        let lock = LockFile(sourceDirectory: "./src")
        #expect(lock.yamlText() == "directories:\n    modules: .wippy\n    src: ./src\n")
    }

    @Test func awkwardStringsAreQuotedAndReadBack() throws {
        try TemporaryProject.with { project in
            let odd = ["1.0", "yes", "true", "has space", "a: b", "#hash", "quote\"d", "", "-", "@at", "tab\there", "ünï"]
            let lock = LockFile(
                sourceDirectory: "dir with: colon", modulesDirectory: "~",
                modules: odd.enumerated().map { LockedModule(name: "o/m\($0.offset)", version: $0.element.isEmpty ? "v" : $0.element, hash: $0.element) })
            try lock.write(to: project.root + "/wippy.lock")
            let back = try LockFile.read(at: project.root + "/wippy.lock")
            #expect(back.sourceDirectory == "dir with: colon")
            #expect(back.modulesDirectory == "~")
            #expect(Set(back.modules) == Set(lock.modules))
            #expect(LockFile.scalar("1.0") == "\"1.0\"")
            #expect(LockFile.scalar("v1.2.0") == "v1.2.0")
        }
    }

    @Test func invalidLockContentsAreErrorsWithLines() throws {
        try TemporaryProject.with { project in
            let path = project.root + "/wippy.lock"
            try project.write("wippy.lock", "directories:\n  src: ./src\noptions:\n  unpack_modules: yes\n")
            let bool = #expect(throws: ProjectError.self) { try LockFile.read(at: path) }
            #expect(bool?.line == 4)
            #expect(bool?.file == path)
            try project.write("wippy.lock", "modules:\n  - version: v1\n")
            let name = #expect(throws: ProjectError.self) { try LockFile.read(at: path) }
            #expect(name?.line == 2)
            #expect(name?.message.contains("name") == true)
            try project.write("wippy.lock", "modules:\n  - name: noslash\n    version: v1\n")
            #expect(throws: ProjectError.self) { try LockFile.read(at: path) }
            try project.write("wippy.lock", "directories: [a]\n")
            #expect(throws: ProjectError.self) { try LockFile.read(at: path) }
            try project.write("wippy.lock", "directories:\n  src: [x\n")
            let syntax = #expect(throws: ProjectError.self) { try LockFile.read(at: path) }
            #expect(syntax?.line != nil)
        }
    }
}
