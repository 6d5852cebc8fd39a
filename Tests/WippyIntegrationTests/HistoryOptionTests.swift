import Foundation
import Testing

/// `--history`: where `wippy run` keeps the registry history.
@Suite struct HistoryOptionTests {
    @Test func sqliteUnderTheProjectIsTheDefault() async throws {
        let dir = WippyBinary.fixture("hello")
        let run = try await WippyBinary.run(["run", "hello"], in: dir)
        #expect(run.stdout == "Hello, world!\n")
        #expect(FileManager.default.fileExists(atPath: dir + "/.wippy/registry.db"))
        // a second run boots from the same history
        let again = try await WippyBinary.run(["run", "hello"], in: dir)
        #expect(again.stdout == "Hello, world!\n")
        #expect(again.status == 0)
    }

    @Test func memoryAndCustomPaths() async throws {
        let dir = WippyBinary.fixture("hello")
        let memory = try await WippyBinary.run(["run", "--history", "memory", "hello"], in: dir)
        #expect(memory.stdout == "Hello, world!\n")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.wippy/registry.db"))
        let custom = try await WippyBinary.run(["run", "--history", "sqlite:state/history.db", "hello"], in: dir)
        #expect(custom.stdout == "Hello, world!\n")
        #expect(FileManager.default.fileExists(atPath: dir + "/state/history.db"))
    }

    @Test func aBadValueOrABadFileIsNamed() async throws {
        let dir = WippyBinary.fixture("hello")
        let bad = try await WippyBinary.run(["run", "--history", "postgres", "hello"], in: dir)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--history must be sqlite, sqlite:PATH or memory (got \"postgres\")"))
        try FileManager.default.createDirectory(atPath: dir + "/.wippy", withIntermediateDirectories: true)
        try String(repeating: "not a database\n", count: 200).write(toFile: dir + "/.wippy/registry.db", atomically: true, encoding: .utf8)
        let broken = try await WippyBinary.run(["run", "hello"], in: dir)
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("registry history ./.wippy/registry.db"))
        #expect(broken.stdout == "")
    }

    @Test func helpDescribesTheOption() async throws {
        let run = try await WippyBinary.run(["run", "--help"], in: "/")
        #expect(run.stdout.contains("--history"))
        #expect(run.stdout.contains("memory"))
    }
}
