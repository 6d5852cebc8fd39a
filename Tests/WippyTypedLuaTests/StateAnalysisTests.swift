import Testing
import WippyTypedLua

/// The translator's proof that a chunk holds no per-process state (one instance may then serve every process
/// of the entry): what it accepts, and that every way to keep state between calls is refused.
@Suite struct StateAnalysisTests {
    private func reason(_ source: String) -> String?? {
        do {
            return .some(try TypedLua.translateModule(Array(source.utf8), chunkName: "test.lua").stateReason)
        } catch {
            Issue.record("unexpected syntax error: \(error)")
            return nil
        }
    }

    private func expectStateless(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let reason = reason(source) else { return }
        #expect(reason == nil, "expected no per-process state, got: \(reason ?? "")", sourceLocation: sourceLocation)
    }

    private func expectState(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let reason = reason(source) else { return }
        #expect(reason != nil, "expected the chunk to count as holding state:\n\(source)", sourceLocation: sourceLocation)
    }

    @Test func moduleOfFunctionsCallingGlobalsIsStateless() {
        expectStateless("""
            local M = {}
            function M.child(parent: string)
                process.send(parent, "done")
            end
            function M.relay(next_pid: string)
                local inbox = process.inbox()
                while true do
                    inbox:receive()
                    process.send(next_pid, "token")
                end
            end
            return M
            """)
    }

    @Test func helpersModulesLiteralsAndLocalStateInsideCallsAreStateless() {
        expectStateless("""
            local time = require("time")
            local json = require "json"
            local LIMIT = 10
            local NAME = "worker"
            local M = {}
            local function helper(t, k)
                t[k] = (t[k] or 0) + 1     -- a table of the call's own
                return t
            end
            function M.count(items: {string})
                local seen = {}
                for _, item in ipairs(items) do helper(seen, item) end
                local total = 0
                local function add(n) total = total + n end  -- an upvalue of the call, not of the chunk
                for i = 1, LIMIT do add(i) end
                return seen, total, NAME, time.now(), json.encode(seen), M.other(1)
            end
            function M.other(x) return x end
            function M:method() self.x = 1 end
            return M
            """)
    }

    @Test func writingAGlobalIsState() {
        expectState("local M = {}\nfunction M.main() counter = (counter or 0) + 1 end\nreturn M")
        expectState("counter = 0\nreturn { main = function() return counter end }")
        expectState("function main() end\nreturn { main = main }")
    }

    @Test func writingAChunkLocalFromAFunctionIsState() {
        expectState("local n = 0\nlocal M = {}\nfunction M.main() n = n + 1 return n end\nreturn M")
        expectState("local function f() end\nlocal M = {}\nfunction M.main() f = nil end\nreturn M")
        expectState("local a, b = 1, 2\nreturn { main = function() a, b = b, a end }")
    }

    @Test func changingTheReturnedTableOrAChunkTableIsState() {
        expectState("local M = {}\nfunction M.main() M.calls = (M.calls or 0) + 1 end\nreturn M")
        expectState("local cache = {}\nreturn { main = function(k) cache[k] = true end }")
        expectState("local M = {}\nfunction M.main() M.sub.x = 1 end\nreturn M")
        expectState("local M = {}\nfunction M.main() M:bump() end\nfunction M:bump() self.n = 1 end\nreturn M")
    }

    @Test func lettingAChunkTableEscapeIsState() {
        expectState("local list = {}\nreturn { main = function(x) table.insert(list, x) end }")
        expectState("local M = {}\nfunction M.main() local alias = M; alias.x = 1 end\nreturn M")
        expectState("local M = {}\nfunction M.main() return M end\nreturn M")
        expectState("local C = {t = {}}\nreturn { main = function() local t = C.t; t.x = 1 end }")
        expectState("local M = {}\nfunction M.main() rawset(M, 'x', 1) end\nreturn M")
    }

    @Test func aValueUsedByFunctionsAndAssignedAgainIsState() {
        expectState("local LIMIT = 1\nLIMIT = {}\nreturn { main = function() LIMIT.x = 1 end }")
        expectState("local LIMIT = 1\nLIMIT = {}\nreturn { main = function() local t = LIMIT; t.x = 1 end }")
    }

    @Test func callsWhenTheChunkLoadsAreState() {
        expectState("process.send('x', 'loaded')\nreturn { main = function() end }")
        expectState("local started = os.time()\nreturn { main = function() return started end }")
        expectState("local log = require('logger'):named('x')\nreturn { main = function() log.info('x') end }")
        expectState("local M = setmetatable({}, {})\nreturn M")
    }

    @Test func theEnvironmentIsState() {
        expectState("return { main = function() _G.x = 1 end }")
        expectState("return { main = function() return _ENV end }")
        expectState("local env = ...\nreturn { main = function() end }")
        expectState("local M = {}\nfunction M.main() local _ENV = {} end\nreturn M")
    }

    @Test func shadowedNamesResolveToTheInnermostLocal() {
        // `M` inside is the call's own table; the outer `n` is only read through a parameter of the same name.
        expectStateless("""
            local M = {}
            local n = 1
            function M.main(n)
                n = n + 1
                local M = {}
                M.x = n
                return M
            end
            return M
            """)
        // After the block the inner `n` is gone: this writes the chunk-level one.
        expectState("""
            local n = 0
            return { main = function()
                do local n = 1; n = 2 end
                n = 3
            end }
            """)
        // Loop variables belong to the loop only.
        expectState("""
            local i = 0
            return { main = function()
                for i = 1, 2 do end
                i = 5
            end }
            """)
    }
}
