import Testing
import WippyLua

/// The small-object heap behind every state: blocks of every size class, growth across the slab/malloc
/// boundary, reuse after collection, many states at once.
@Suite struct HeapTests {
    /// Strings and tables of sizes around every class boundary keep their contents while the collector
    /// frees and reuses blocks in between.
    @Test func contentsSurviveChurnAcrossSizeClasses() throws {
        let state = Bridge.state()
        let result = Bridge.run(state, """
            local keep = {}
            local function make(n, seed)
                local parts = {}
                for i = 1, n do parts[i] = string.char(65 + (i * seed) % 26) end
                return table.concat(parts)
            end
            for round = 1, 6 do
                local garbage = {}
                for n = 1, 1500, 7 do
                    garbage[#garbage + 1] = make(n, round)
                    local t = {}
                    for i = 1, n % 97 do t[i] = i * round end
                    garbage[#garbage + 1] = t
                    if n % 5 == 0 then keep[#keep + 1] = { n = n, seed = round, s = make(n, round), t = t } end
                end
                collectgarbage()
            end
            for _, k in ipairs(keep) do
                if k.s ~= make(k.n, k.seed) then return "string of " .. k.n .. " changed" end
                for i = 1, k.n % 97 do
                    if k.t[i] ~= i * k.seed then return "table of " .. k.n .. " changed" end
                end
            end
            return "ok", #keep
            """)
        let values = try result.get()
        #expect(values.first == "ok")
    }

    /// A table grows from a few slots (slab blocks) to thousands (malloc blocks) and back through
    /// reallocation, keeping every value.
    @Test func tablesGrowAndShrinkAcrossTheSlabLimit() throws {
        let state = Bridge.state()
        let result = Bridge.run(state, """
            local t = {}
            for i = 1, 5000 do
                t[i] = i
                t["k" .. i] = -i
            end
            for i = 1, 5000 do
                if t[i] ~= i or t["k" .. i] ~= -i then return "lost " .. i end
            end
            for i = 5000, 11, -1 do t[i] = nil; t["k" .. i] = nil end
            collectgarbage()
            for i = 1, 10 do
                if t[i] ~= i or t["k" .. i] ~= -i then return "lost after shrink " .. i end
            end
            local n = 0
            for _ in pairs(t) do n = n + 1 end
            return n
            """)
        #expect(try result.get() == ["20"])
    }

    /// Freed memory is reused: repeating the same allocation pattern grows neither the state nor its heap.
    @Test func repeatedChurnDoesNotGrow() throws {
        let state = Bridge.state()
        let churn = """
            local live = {}
            for i = 1, 20000 do
                live[i] = { i, tostring(i), function() return i end }
            end
            live = nil
            collectgarbage()
            """
        _ = try Bridge.run(state, churn).get()
        let after1 = state.allocatedBytes
        let mapped1 = state.heapMappedBytes
        for _ in 0..<5 { _ = try Bridge.run(state, churn).get() }
        let after6 = state.allocatedBytes
        #expect(mapped1 > 0)
        #expect(abs(after6 - after1) < 64 * 1024, "grew from \(after1) to \(after6) bytes")
        #expect(state.heapMappedBytes == mapped1, "heap mapped \(mapped1) then \(state.heapMappedBytes) bytes")
    }

    /// Several states, each with its own heap, used and closed in turn.
    @Test func independentStatesCloseCleanly() throws {
        var states: [LuaState] = []
        for index in 0..<8 {
            let state = Bridge.state()
            _ = try Bridge.run(state, "data = {}; for i = 1, 1000 do data[i] = string.rep('x', i % 300) end").get()
            _ = try Bridge.run(state, "marker = \(index)").get()
            states.append(state)
        }
        for (index, state) in states.enumerated() {
            #expect(Bridge.global(state, "marker") == "\(index)")
            #expect(try Bridge.run(state, "return #data[299]").get() == ["299"])
            state.close()
        }
    }
}
