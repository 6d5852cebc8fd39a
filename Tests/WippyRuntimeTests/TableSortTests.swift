import Testing
import WippyCore
import WippyRuntime

/// `table.sort` with a comparator is implemented in Lua (so it can be preempted); it must sort like Lua's.
@Suite struct TableSortTests {
    @Test func comparatorSortAgreesWithTheBuiltInSort() async {
        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: """
            return { main = function()
                for size = 0, 300, 7 do
                    local a, b = {}, {}
                    for i = 1, size do
                        local v = math.random(1, 50)
                        a[i] = v
                        b[i] = v
                    end
                    table.sort(a)
                    table.sort(b, function(x, y) return x < y end)
                    for i = 1, size do
                        if a[i] ~= b[i] then return "mismatch at size " .. size .. " index " .. i end
                    end
                end
                local words = {"pear", "apple", "fig", "banana", "kiwi"}
                table.sort(words, function(x, y) return x > y end)
                return table.concat(words, ",")
            end }
            """)
        #expect(result.value == .string("pear,kiwi,fig,banana,apple"))
    }

    @Test func badArgumentsAndInconsistentComparatorsRaise() async {
        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: """
            return { main = function()
                local ok1, e1 = pcall(table.sort, {3, 1, 2}, 42)
                local big = {}
                for i = 1, 100 do big[i] = i % 7 end
                local ok2, e2 = pcall(table.sort, big, function() return true end)
                return tostring(ok1) .. "|" .. tostring(e1) .. "|" .. tostring(ok2) .. "|" .. tostring(e2)
            end }
            """)
        let text = result.value.stringValue ?? ""
        #expect(text.hasPrefix("false|"))
        #expect(text.contains("bad argument #2 to 'sort' (function expected, got number)"))
        #expect(text.contains("|false|"))
        #expect(text.contains("invalid order function for sorting"))
    }
}
