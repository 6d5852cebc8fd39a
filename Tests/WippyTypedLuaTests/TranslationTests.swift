import Testing
import WippyTypedLua

/// Translation cases beyond the spec's table: nesting, line breaks, identifiers, escapes, real programs.
@Suite struct TranslationTests {
    private func expectTranslation(
        _ input: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let output = TestSupport.translate(input) else { return }
        TestSupport.expectEquivalent(output, expected, sourceLocation: sourceLocation)
    }

    @Test func nestedGenericFunctionsAndFunctionTypes() {
        expectTranslation(
            """
            local function outer<T>(a: T): (T) -> T
                local function inner(b: T): T return b end
                return function(c: T): T return inner(c) end
            end
            """,
            """
            local function outer(a)
                local function inner(b) return b end
                return function(c) return inner(c) end
            end
            """)
    }

    @Test func typeLikeTextInLongStringsAndCommentsIsKept() {
        let input = """
            local a = [==[ local x: number = 1 ]] as T ]==] --[[ type T = {x: number}
            interface I end ]] local b: number = 2
            -- local c: string = x as any
            """
        expectTranslation(
            input,
            """
            local a = [==[ local x: number = 1 ]] as T ]==] --[[ type T = {x: number}
            interface I end ]] local b = 2
            -- local c: string = x as any
            """)
    }

    @Test func commentsInsideRemovedTextKeepTheirLineBreaks() {
        expectTranslation(
            "local x: --[[ a\ncomment ]] number -- why\n    | nil = 1\nprint(x)",
            "local x\n\n    = 1\nprint(x)")
    }

    @Test func everyKindOfLineBreakIsPreservedByteForByte() throws {
        let input = Array("local a: number = 1\r\nlocal b: string = 'x'\rtype T = {\n\r  x: number,\r\n}\nprint(a, b)".utf8)
        let output = try TypedLua.translate(input, chunkName: "crlf.lua")
        let breaks: ([UInt8]) -> [UInt8] = { $0.filter { $0 == 10 || $0 == 13 } }
        #expect(breaks(output) == breaks(input))
        #expect(output.count == input.count)
        TestSupport.expectEquivalent(
            String(decoding: output, as: UTF8.self), "local a = 1\r\nlocal b = 'x'\r;\n\r\r\n\nprint(a, b)")
    }

    @Test func typeIsAnOrdinaryIdentifier() {
        let input = """
            local type = type
            type = nil
            type.x = 1
            type[1] = 2
            type "str"
            type {1}
            type:m()
            local t = {type = type}
            function type.f() end
            function M.type() end
            function M:type() end
            local function f(type) return type end
            for type in pairs(t) do end
            x = type
            type(x)
            """
        #expect(TestSupport.translate(input) == input)
    }

    @Test func dialectKeywordsAsMethodFieldAndKeyNames() {
        let input = """
            local t = {as = 1, is = 2, keyof = 3, extends = 4, readonly = 5, interface = 6, asserts = 7}
            print(t.as, t.is, t.readonly, t.interface, t.asserts)
            obj:is(1); obj:as(2); obj:readonly(); obj:interface(); obj:asserts()
            function M:is(x) return x end
            function M:as() end
            """
        #expect(TestSupport.translate(input) == input)
    }

    @Test func gotoContinueWithTypedLoopBody() {
        expectTranslation(
            """
            for i = 1, #items do
                local item: Item = items[i] :: Item
                if not item.ok then goto continue end
                handle(item!)
                ::continue::
            end
            """,
            """
            for i = 1, #items do
                local item = items[i]
                if not item.ok then goto continue end
                handle(item)
                ::continue::
            end
            """)
    }

    @Test func castOfACallKeepsOneValueAndLaterColumns() throws {
        let output = try TypedLua.translate("local a, b = fetch() as any; print(a)", chunkName: "t.lua")
        #expect(output == "local a, b = (fetch())     ; print(a)")
    }

    @Test func castBeforeAParenthesisOnTheNextLineEndsTheStatement() {
        expectTranslation(
            "local v = f() :: any\n(g)()\nlocal w = obj:m()!\n(g)(w)",
            "local v = (f());\n(g)()\nlocal w = (obj:m());\n(g)(w)")
    }

    @Test func stringEscapesAreReencodedAndColumnsRestored() throws {
        let output = try TypedLua.translate(#"local s = "x\x41y\z" .. "\u{48}" .. 'ok\'\\' .. "\65\0""#, chunkName: "t.lua")
        #expect(output == #"local s = "xx41yz"   .. "u{48}"  .. 'ok\'\\' .. "\65\0""#)
    }

    @Test func backslashNewlineInAStringStaysAndKeepsTheLineCount() {
        let input = "local s = \"a\\\nb\\qc\"\nprint(s)"
        guard let output = TestSupport.translate(input) else { return }
        #expect(output == "local s = \"a\\\nbqc\" \nprint(s)")
    }

    @Test func conditionalTypesAndNestedGenericClosers() {
        expectTranslation(
            """
            type Cond<T> = T extends string? ? number : T extends nil ? never : T
            type F = ((a: number) -> string)[]
            local m: Map<string, Map<string, Box<number>>> = {}
            local v = x as fun(): (number, string)
            """,
            ";\n;\nlocal m = {}\nlocal v = x")
    }

    @Test func castsInsideOperatorsKeepTheTree() {
        expectTranslation(
            "local z = #t! + -n! * 2 ^ k as integer .. s :: string\nlocal y = a and b as T or c",
            "local z = #t + -n * 2 ^ k .. s\nlocal y = a and b or c")
    }

    @Test func labelAfterAnExpressionIsNotACast() {
        expectTranslation("local v = x::T::\ngoto T", "local v = x ::T::\ngoto T")
    }

    @Test func plainLuaIsReturnedUnchanged() throws {
        let bytes = Array(RealisticPrograms.plainLua.utf8)
        #expect(try TypedLua.translate(bytes, chunkName: "plain.lua") == bytes)
        #expect(try TypedLua.translate(RealisticPrograms.plainLua, chunkName: "plain.lua") == RealisticPrograms.plainLua)
    }

    @Test func nonUTF8BytesPassThrough() throws {
        let input: [UInt8] = Array("local s: string = \"".utf8) + [0xFF, 0xC3] + Array("\" -- \u{00E9}".utf8) + [0x80]
        let output = try TypedLua.translate(input, chunkName: "bin.lua")
        #expect(output.count == input.count)
        #expect(Array(output.suffix(6)) == Array(input.suffix(6)))
    }

    @Test("realistic programs keep their line count", arguments: RealisticPrograms.all.map(\.name))
    func realisticProgramKeepsLines(_ name: String) throws {
        let source = try #require(RealisticPrograms.all.first { $0.name == name }).source
        let output = try #require(TestSupport.translate(source, chunkName: "\(name).lua"))
        #expect(LuaTokenizer.lineCount(output) == LuaTokenizer.lineCount(source))
        #expect(!output.contains(" as ") && !output.contains("::any"))
    }

    @Test func workerProcessTranslation() throws {
        let source = RealisticPrograms.workerProcess
        let output = try #require(TestSupport.translate(source))
        let inputLines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let outputLines = output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(inputLines.count == outputLines.count)
        for (original, translated) in [
            ("type Job =", ";"),
            ("local function compute(job: Job)", "local function compute(job)"),
            ("local done: boolean = false", "local done = false"),
            ("local event = result.value ::", "local event = result.value"),
            ("local job = msg:payload():data() as Job", "local job = (msg:payload():data())"),
            ("process.send(msg:from()", "process.send(msg:from(), \"result\", (r).value)"),
            ("logger:warn(", "logger:warn(\"job failed\", {error = (r).error, id = job.id})"),
        ] {
            let index = try #require(inputLines.firstIndex { $0.contains(original) })
            let line = LuaTokenizer.tokens(String(outputLines[index])).map(\.text)
            #expect(line == LuaTokenizer.tokens(translated).map(\.text), "line \(index + 1): \(outputLines[index])")
        }
    }

    @Test func deepNestingWithinTheLimitIsAccepted() {
        let depth = 150
        let input = "local x = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        #expect(TestSupport.translate(input) == input)
    }
}
