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

/// Issue 7, item 9: `json.validate` / `json.validate_string` (lua-api-core §16.1) and errors that say they are
/// not worth retrying.
@Suite struct JSONValidateTests {
    @Test func validateAcceptsAndRejectsWithInvalidErrors() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local schema = {
                    type = "object",
                    required = {"name", "age"},
                    properties = {
                        name = {type = "string", minLength = 2},
                        age = {type = "integer", minimum = 0},
                        tags = {type = "array", items = {type = "string"}, uniqueItems = true},
                    },
                    additionalProperties = false,
                }
                local out = {}
                local function add(ok, err)
                    out[#out + 1] = tostring(ok) .. "|" .. (err and (err:kind() .. "|" .. tostring(err:retryable()) .. "|" .. err:message()) or "")
                end
                add(json.validate(schema, {name = "Ann", age = 31, tags = {"a", "b"}}))
                add(json.validate(schema, {name = "A", age = -1}))
                add(json.validate(schema, {name = "Ann", age = 3, extra = true}))
                add(json.validate(schema, {name = "Ann", age = 3.5}))
                add(json.validate('{"type": "array", "items": {"type": "number"}, "maxItems": 2}', {1, 2.5}))
                add(json.validate('{"type": "array", "maxItems": 2}', {1, 2, 3}))
                add(json.validate_string('{"type": "object", "required": ["id"]}', '{"id": 7}'))
                add(json.validate_string({type = "object", required = {"id"}}, '{}'))
                add(json.validate_string({type = "object"}, '{nope'))
                add(json.validate({type = "strange"}, 1))
                add(json.validate({["$ref"] = "#/definitions/missing"}, 1))
                add(json.validate({type = "string", pattern = "^[a-z]+$", format = "email"}, "abc"))
                add(json.validate({anyOf = {{type = "string"}, {type = "integer"}}, ["not"] = {const = 5}}, 5))
                add(json.validate({definitions = {pos = {type = "integer", exclusiveMinimum = 0}},
                    type = "object", properties = {n = {["$ref"] = "#/definitions/pos"}}}, {n = 0}))
                return out
            end
            """)
        let lines = result.value.tableValue?.array.compactMap(\.stringValue) ?? []
        #expect(lines.count == 14, "\(result.text)")
        guard lines.count == 14 else { return }
        #expect(lines[0] == "true|")
        #expect(lines[1].hasPrefix("false|Invalid|false|validation failed: "), "\(lines[1])")
        #expect(lines[1].contains("/name: length must be >= 2") && lines[1].contains("/age: must be >= 0"), "\(lines[1])")
        #expect(lines[2] == "false|Invalid|false|validation failed: /extra: property is not allowed")
        #expect(lines[3] == "false|Invalid|false|validation failed: /age: expected integer, got number")
        #expect(lines[4] == "true|")
        #expect(lines[5] == "false|Invalid|false|validation failed: /: must have at most 2 items, got 3")
        #expect(lines[6] == "true|")
        #expect(lines[7] == "false|Invalid|false|validation failed: /: missing required property id")
        #expect(lines[8].hasPrefix("false|Invalid|false|invalid JSON"), "\(lines[8])")
        #expect(lines[9] == "false|Invalid|false|invalid schema: #/type must name JSON types")
        #expect(lines[10].hasPrefix("false|Invalid|false|invalid schema: #/$ref: cannot resolve"), "\(lines[10])")
        #expect(lines[11] == "false|Invalid|false|validation failed: /: is not a valid email")
        #expect(lines[12] == "false|Invalid|false|validation failed: /: must not match the schema of not")
        #expect(lines[13] == "false|Invalid|false|validation failed: /n: must be > 0")
    }

    @Test func jsonErrorsAreNotRetryable() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = {} t.self = t
                local _, e1 = json.encode(t)
                local _, e2 = json.decode("{")
                local _, e3 = json.decode("")
                local _, e4 = json.decode({})
                return {e1:retryable(), e2:retryable(), e3:retryable(), e4:retryable(), e2:kind(), e3:kind()}
            end
            """)
        #expect(result.value == .array([false, false, false, false, "Internal", "Invalid"]))
    }

    /// Payload objects name their formats as `payload.format` does and transcode between them.
    @Test func payloadFormats() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local p = payload.new({a = 1})
                local j = p:transcode(payload.format.JSON)
                local back = j:transcode(payload.format.LUA)
                local s = payload.new(12):transcode(payload.format.STRING)
                local e = payload.new(errors.new("x"))
                local none, err = p:transcode(payload.format.YAML)
                return {p:get_format(), j:get_format(), j:data().a, back:get_format(), back:data().a, s:data(),
                    s:get_format(), e:get_format(), tostring(e), tostring(j), none == nil and err:kind(),
                    payload.format.JSON, payload.format.YAML, payload.format.STRING, payload.format.BYTES}
            end
            """)
        #expect(result.value == .array([
            "lua/any", "json/plain", 1, "lua/any", 1, "12", "text/plain", "golang/error", "payload{format=golang/error}",
            "payload{format=json/plain}", "Internal", "json/plain", "yaml/plain", "text/plain", "application/octet-stream",
        ]), "\(result.text)")
    }
}
