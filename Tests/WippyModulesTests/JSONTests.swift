import Testing
import WippyCore

/// `json.encode` / `json.decode`: round trips, integer identity, object flavour and every error case.
@Suite struct JSONTests {
    @Test func encodesScalarsArraysAndObjects() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local out = {}
                for _, v in ipairs{ {1, 2, 3}, {a = 1}, {}, "x\\"y\\n", 1.5, 4.0, 42, true } do
                    table.insert(out, (json.encode(v)))
                end
                table.insert(out, (json.encode(nil)))
                table.insert(out, (json.encode(0/0)))
                table.insert(out, (json.encode({e = errors.new("bad"), f = print})))
                table.insert(out, (json.encode({list = {}, nested = {{k = "v"}}})))
                return out
            end
            """)
        let values = result.value.tableValue?.array ?? []
        #expect(Array(values.prefix(10)) == ["[1,2,3]", "{\"a\":1}", "[]", "\"x\\\"y\\n\"", "1.5", "4", "42", "true", "null", "null"])
        #expect(values[10] == "{\"e\":\"bad\",\"f\":null}" || values[10] == "{\"f\":null,\"e\":\"bad\"}")
        #expect(values[11] == "{\"list\":[],\"nested\":[{\"k\":\"v\"}]}" || values[11] == "{\"nested\":[{\"k\":\"v\"}],\"list\":[]}")
    }

    @Test func decodeKeepsIntegersAndObjectFlavour() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local v, err = json.decode('{"n": 42, "f": 1.5, "e": 1e2, "list": [1, "two", null, true], "empty": {}, "arr": []}')
                return {
                    v.n, math.type(v.n), math.type(v.f), math.type(v.e), v.list[2], v.list[3] == nil, v.list[4],
                    json.encode(v.empty), json.encode(v.arr), err == nil, json.encode(json.decode("{}")),
                    select("#", json.decode("null")), json.decode("null") == nil,
                }
            end
            """)
        #expect(result.value == .array([42, "integer", "float", "float", "two", true, true, "{}", "[]", true, "{}", 2, true]))
    }

    @Test func roundTripsNestedValues() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local source = {name = "wippy", tags = {"a", "b"}, meta = {depth = 3, ratio = 0.25, ok = false}}
                local text = json.encode(source)
                local back = json.decode(text)
                return {back.name, back.tags[2], back.meta.depth, math.type(back.meta.depth), back.meta.ratio,
                    back.meta.ok, #json.encode(json.decode(text)) == #text}
            end
            """)
        #expect(result.value == .array(["wippy", "b", 3, "integer", 0.25, false, true]))
    }

    @Test func encodeErrorsAreInternal() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local cyclic = {}
                cyclic.self = cyclic
                local deep = {}
                local cursor = deep
                for i = 1, 200 do cursor.next = {} cursor = cursor.next end
                local shared = {1}
                local out = {}
                for _, v in ipairs{ {1, 2, x = 3}, {[1] = 1, [3] = 3}, cyclic, deep, {[{}] = 1} } do
                    local s, err = json.encode(v)
                    table.insert(out, tostring(s) .. "|" .. err:kind() .. "|" .. err:message())
                end
                local holes = json.decode("[1, null, 3]")
                local s, err = json.encode(holes)
                table.insert(out, tostring(s) .. "|" .. err:message())
                table.insert(out, (json.encode({a = shared, b = shared})) and "shared ok" or "shared failed")
                return out
            end
            """)
        #expect(result.value == .array([
            "nil|Internal|cannot encode mixed-key table", "nil|Internal|cannot encode sparse array",
            "nil|Internal|cannot encode recursive table", "nil|Internal|json: nesting depth exceeds 128",
            "nil|Internal|cannot encode table key of type table", "nil|cannot encode sparse array", "shared ok",
        ]))
    }

    @Test func decodeErrors() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local out = {}
                for _, v in ipairs{ 42, "", "{bad", "[1,]" } do
                    local r, err = json.decode(v)
                    table.insert(out, tostring(r) .. "|" .. err:kind() .. "|" .. err:message())
                end
                local r, err = json.decode()
                table.insert(out, err:message())
                table.insert(out, json.decode(string.rep("[", 200) .. string.rep("]", 200)) == nil)
                return out
            end
            """)
        let values = result.value.tableValue?.array ?? []
        #expect(values.count == 6)
        #expect(values.first == "nil|Invalid|string expected")
        #expect(values.dropFirst().first == "nil|Invalid|empty string is not valid JSON")
        #expect(values[2].stringValue?.hasPrefix("nil|Internal|json: invalid character") == true)
        #expect(values[3].stringValue?.hasPrefix("nil|Internal|json: invalid character") == true)
        #expect(values[4] == "string expected")
        #expect(values[5] == true)
    }
}
