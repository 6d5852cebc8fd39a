import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §3 and §S6: the `errors` global and error objects.
@Suite struct ErrorsLibraryTests {
    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }")
        #expect(result.text == "ok", sourceLocation: sourceLocation)
    }

    @Test func newFromString() async {
        await expectOK("""
            local e = errors.new("plain")
            eq("message", e:message(), "plain")
            eq("kind", e:kind(), "")
            eq("retryable unknown", e:retryable(), nil)
            eq("details", e:details(), nil)
            eq("tostring", tostring(e), "plain")
            eq("type", type(e), "userdata")
            check("is unknown", errors.is(e, errors.UNKNOWN))
            local e2 = errors.new("TIMEOUT", "x")
            eq("two-argument form takes the first as message", e2:message(), "TIMEOUT")
            eq("two-argument form kind", e2:kind(), "")
            """)
    }

    @Test func newFromTable() async {
        await expectOK("""
            local e = errors.new({message = "m", kind = errors.INVALID, retryable = false, details = {a = 1, nested = {b = {1, 2}}, [1] = "dropped"}})
            eq("message", e:message(), "m")
            eq("kind", e:kind(), "Invalid")
            eq("retryable", e:retryable(), false)
            local d = e:details()
            eq("details.a", d and d.a, 1)
            eq("nested map", d and d.nested.b[2], 2)
            eq("non-string keys dropped", d and d[1], nil)
            local empty = errors.new({message = "m", details = {}})
            eq("empty details read back as nil", empty:details(), nil)
            local loose = errors.new({message = "m", kind = 5, retryable = "yes", details = "no"})
            eq("non-string kind ignored", loose:kind(), "")
            eq("non-boolean retryable ignored", loose:retryable(), nil)
            eq("non-table details ignored", loose:details(), nil)
            eq("missing message raises", (pcall(errors.new, {kind = "Invalid"})), false)
            eq("non-string message raises", (pcall(errors.new, {message = 5})), false)
            eq("number argument raises", (pcall(errors.new, 42)), false)
            eq("nil argument raises", (pcall(errors.new)), false)
            """)
    }

    @Test func wrapKeepsClassificationAndHidesContext() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local e = errors.new({message = "disk full", kind = errors.UNAVAILABLE, retryable = true, details = {dev = "sda"}})
                local w = errors.wrap(e, "saving file")
                eq("message unchanged", w:message(), "disk full")
                eq("tostring unchanged", tostring(w), "disk full")
                eq("kind kept", w:kind(), "Unavailable")
                eq("retryable kept", w:retryable(), true)
                eq("details kept", w:details() and w:details().dev, "sda")
                check("context in stack", w:stack():find("saving file", 1, true), w:stack())
                local w2 = errors.wrap(w, "request")
                eq("further wrap folds the previous context", w2:message(), "saving file: disk full")
                local s = errors.wrap("text error", "ctx")
                eq("wrap of a string", s:message(), "text error")
                local c = errors.wrap(e, errors.new("from error"))
                check("context may be an error", c:stack():find("from error", 1, true), c:stack())
                eq("wrap nil raises", (pcall(errors.wrap, nil, "x")), false)
                eq("wrap without context raises", (pcall(errors.wrap, e)), false)
                eq("wrap number raises", (pcall(errors.wrap, 5, "x")), false)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func isAndConcatenation() async {
        await expectOK("""
            local e = errors.new({message = "nf", kind = errors.NOT_FOUND})
            eq("is", errors.is(e, errors.NOT_FOUND), true)
            eq("is other kind", errors.is(e, errors.INVALID), false)
            eq("string is not an error", errors.is("nf", errors.NOT_FOUND), false)
            eq("nil is not an error", errors.is(nil, errors.UNKNOWN), false)
            eq("err .. x", e .. "!", "nf!")
            eq("x .. err", "<" .. e, "<nf")
            eq("err .. err", e .. e, "nfnf")
            """)
    }

    @Test func raisedErrorObjectIsReturnedUnchangedByPcall() async {
        await expectOK("""
            local e = errors.new({message = "raised", kind = errors.CONFLICT})
            local ok, got = pcall(error, e)
            eq("ok", ok, false)
            check("same object", rawequal(got, e))
            local ok2, got2 = pcall(function() error(e) end)
            check("same object through a function", rawequal(got2, e))
            local ok3, got3 = pcall(function() error("text") end)
            check("string error has position", type(got3) == "string" and got3:find("^test:main%d+:%d+: text$"), got3)
            """)
    }

    @Test func callStackOfAnErrorObject() async {
        await expectOK("""
            local function make() return errors.new("deep") end
            local cs = errors.call_stack(make())
            eq("table", type(cs), "table")
            eq("frames", cs and type(cs.frames), "table")
            eq("non-error", errors.call_stack("x"), nil)
            """)
    }

    @Test func errorObjectsAreProtected() async {
        await expectOK("""
            local e = errors.new("x")
            eq("metatable hidden", type(getmetatable(e)), "boolean")
            eq("method on a non-error raises", (pcall(e.message, {})), false)
            eq("constants read-only", (pcall(function() errors.NOT_FOUND = "x" end)), false)
            """)
    }
}
