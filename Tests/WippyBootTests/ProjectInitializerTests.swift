import Testing
import WippyCore

@testable import WippyBoot

@Suite struct ProjectInitializerTests {
    @Test func initOnAnEmptyDirectoryWritesLockAndStarterApp() throws {
        try TemporaryProject.with { project in
            let written = try ProjectInitializer.initialize(projectRoot: project.root)
            #expect(written == ["wippy.lock", "src/_index.yaml", "src/hello.lua"])
            #expect(try project.read("wippy.lock") == "directories:\n    modules: .wippy\n    src: ./src\n")

            let loaded = try ProjectLoader(projectRoot: project.root).load()
            #expect(loaded.entries.map(\.id.description) == ["app:hello", "app:processes", "app:terminal"])
            #expect(loaded.entries.map(\.kind) == ["process.lua", "process.host", "terminal.host"])
            let hello = try #require(loaded.entry(EntryID(namespace: "app", name: "hello")))
            #expect(hello.meta["command"]?["name"] == .string("hello"))
            #expect(hello.string("source")?.contains("require(\"io\")") == true)
            #expect(hello.string("source")?.contains("io.print(") == true)
            #expect(hello.data["modules"] == .array(["io"]))
            #expect(hello.origin?.inlinedFiles["source"] == "src/hello.lua")
        }
    }

    @Test func initPreservesModulesOfAnExistingLock() throws {
        try TemporaryProject.with { project in
            try project.write(
                "wippy.lock",
                "directories:\n    src: ./old\nmodules:\n    - name: acme/http\n      version: v1.2.0\n      hash: 4ea8\noptions:\n    unpack_modules: true\n")
            try ProjectInitializer.initialize(projectRoot: project.root)
            let lock = try LockFile.read(at: project.root + "/wippy.lock")
            #expect(lock.sourceDirectory == "./src")
            #expect(lock.modulesDirectory == ".wippy")
            #expect(lock.modules == [LockedModule(name: "acme/http", version: "v1.2.0", hash: "4ea8")])
            #expect(lock.unpackModules)
        }
    }

    @Test func initLeavesExistingDefinitionsAlone() throws {
        try TemporaryProject.with { project in
            try project.write("code/_index.yaml", "namespace: mine\nentries: []\n")
            let written = try ProjectInitializer.initialize(projectRoot: project.root, sourceDirectory: "code")
            #expect(written == ["wippy.lock"])
            #expect(!project.exists("code/hello.lua"))
            #expect(try project.read("wippy.lock").contains("src: code\n"))
        }
    }

    @Test func initWithCustomDirectoriesAndLockName() throws {
        try TemporaryProject.with { project in
            let written = try ProjectInitializer.initialize(
                projectRoot: project.root, sourceDirectory: "./app", modulesDirectory: "deps", lockFile: "custom.lock")
            #expect(written == ["custom.lock", "app/_index.yaml", "app/hello.lua"])
            let loaded = try ProjectLoader(projectRoot: project.root, lockFile: "custom.lock").load()
            #expect(loaded.lockFile?.modulesDirectory == "deps")
            #expect(loaded.entries.count == 3)
        }
    }
}
