import Testing

/// Issue 7, item 9: `system.exit(code)` shuts the whole runtime down with that code, and `-m` sets the soft
/// memory limit Lua reads back.
@Suite struct SystemExitTests {
    func project(_ lua: String) throws -> TemporaryProject {
        try TemporaryProject.withMain(lua, modules: ["system", "time"])
    }

    @Test func exitStopsTheRuntimeWithTheCode() async throws {
        let project = try project("""
            return { main = function()
                local ok = system.exit(5)
                -- whatever the process does next, the runtime exits with the code system.exit asked for
                return ok and 0 or 1
            end }
            """)
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root, timeout: 30)
        #expect(run.status == 5, "stderr: \(run.stderr)")
    }

    @Test func memoryLimitFlagIsWhatLuaReads() async throws {
        let project = try project("return { main = function() return tostring(system.memory.get_limit()) end }")
        let defaulted = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(defaulted.stdout == "1073741824\n")
        let flagged = try await WippyBinary.run(["run", "-m", "64M", "-x", "app:main"], in: project.root)
        #expect(flagged.stdout == "67108864\n")
        let wrong = try await WippyBinary.run(["run", "--memory-limit", "lots", "-x", "app:main"], in: project.root)
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("--memory-limit"))
    }
}
