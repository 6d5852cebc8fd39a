import Testing
import WippyCore
import WippyModules
import WippyRuntime

/// The module list itself: names, `require`, read-only tables.
@Suite struct StandardModulesTests {
    @Test func listsEveryModuleOnce() {
        let names = StandardModules.all(terminal: nil).map(\.name)
        #expect(names.sorted() == ["base64", "ctx", "env", "events", "exec", "fs", "funcs", "http", "http_client", "io", "json", "logger", "metrics", "queue", "registry", "sql", "store", "system", "time", "uuid", "websocket", "workflow"])
    }

    @Test func requireReturnsTheSameValueAsTheGlobal() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local same = true
                for _, name in ipairs{"time", "funcs", "io", "logger", "json", "uuid", "base64"} do
                    same = same and require(name) == _G[name]
                end
                return {same, type(logger), type(time), (pcall(function() time.sleep = nil end)),
                    (pcall(function() json.extra = 1 end))}
            end
            """)
        #expect(result.value == .array([true, "userdata", "table", false, false]))
    }
}
