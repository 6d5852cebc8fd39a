import Testing
import WippyCore
import WippyRuntime
import WippyTypedLua

/// Processes of an entry whose chunk holds no per-process state share the worker's one instance of it;
/// every other entry still gets an instance per process.
@Suite struct SharedInstanceTests {
    /// Installs `source` as `id`, translated, with the translator's verdict (or `forceShareable`).
    @discardableResult
    private func install(_ harness: RuntimeHarness, _ id: String, _ source: String, forceShareable: Bool = false) throws -> LuaProgram {
        let module = try TypedLua.translateModule(Array(source.utf8), chunkName: id)
        let program = LuaProgram(
            entryID: EntryID(parsing: id), kind: .process, translatedSource: module.code, method: "main", modules: [],
            imports: [], sourceFile: nil, holdsNoProcessState: forceShareable || module.holdsNoProcessState)
        harness.runtime.install(program)
        return program
    }

    @Test func statelessEntryRunsItsChunkOncePerWorker() async throws {
        let harness = RuntimeHarness(workers: 1)
        // The analysis would refuse this chunk (`M.main` read as a value); forced shareable, the function's
        // identity tells whether two processes ran one chunk or two.
        let program = try install(harness, "test:same", """
            local M = {}
            function M.main() return tostring(M.main) end
            return M
            """, forceShareable: true)
        #expect(program.isShareable)
        let first = await harness.run("test:same")
        let second = await harness.run("test:same")
        #expect(first.value != nil && first.value == second.value)
    }

    @Test func entryThatMayHoldStateGetsAnInstancePerProcess() async throws {
        let harness = RuntimeHarness(workers: 1)
        let program = try install(harness, "test:counter", """
            local M = {}
            local calls = 0
            function M.main()
                calls = calls + 1
                return calls
            end
            return M
            """)
        #expect(!program.isShareable)
        for _ in 0..<3 {
            let result = await harness.run("test:counter")
            #expect(result.value == .int(1))
        }
    }

    @Test func sharedInstanceKeepsArgumentsResultsAndErrorsPerProcess() async throws {
        let harness = RuntimeHarness(workers: 1)
        let program = try install(harness, "test:echo", """
            local M = {}
            local function check(n)
                if n < 0 then error("negative: " .. n) end
                return n * 2
            end
            function M.main(n: integer) return check(n) end
            return M
            """)
        #expect(program.isShareable)
        #expect(await harness.run("test:echo", [.int(21)]).value == .int(42))
        #expect(await harness.run("test:echo", [.int(-1)]).error?.message.contains("negative: -1") == true)
        #expect(await harness.run("test:echo", [.int(5)]).value == .int(10))
    }

    @Test func newCodeGetsANewInstance() async throws {
        let harness = RuntimeHarness(workers: 1)
        let source = """
            local M = {}
            function M.main() return tostring(M.main) end
            return M
            """
        try install(harness, "test:reload", source, forceShareable: true)
        let before = await harness.run("test:reload")
        try install(harness, "test:reload", source, forceShareable: true)
        let after = await harness.run("test:reload")
        let again = await harness.run("test:reload")
        #expect(before.value != nil && before.value != after.value)
        #expect(after.value == again.value)
    }
}
