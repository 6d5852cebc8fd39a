import Testing
import WippyTypedLua

/// Rejections beyond the spec's R cases: ordinary Lua syntax errors and dialect misuse.
@Suite struct SyntaxErrorTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var line: Int
        var column: Int
        /// A fragment the message must contain.
        var fragment: String
        var description: String { input }
    }

    static let cases: [Case] = [
        Case(input: "end", line: 1, column: 1, fragment: "no open block"),
        Case(input: "function f()\n  return 1\n", line: 2, column: 11, fragment: "'end' to close 'function' at line 1"),
        Case(input: "if x then\nelse\nelseif y then end", line: 3, column: 1, fragment: "'end' to close 'if'"),
        Case(input: "local s = \"abc\nprint(s)", line: 1, column: 11, fragment: "unfinished string"),
        Case(input: "local s = [==[ open", line: 1, column: 11, fragment: "unfinished long string"),
        Case(input: "--[[ open\n\n", line: 1, column: 1, fragment: "unfinished long comment"),
        Case(input: "--[=x\n", line: 1, column: 1, fragment: "malformed long comment"),
        Case(input: "a = 1 +", line: 1, column: 8, fragment: "unexpected end of file"),
        Case(input: "x = = 1", line: 1, column: 5, fragment: "unexpected symbol '='"),
        Case(input: "x = !y", line: 1, column: 5, fragment: "use 'not'"),
        Case(input: "f()!", line: 1, column: 4, fragment: "'!' assertion"),
        Case(input: "a.b", line: 1, column: 4, fragment: "expected '=' or a call"),
        Case(input: "a.b c = 1", line: 1, column: 5, fragment: "assignment or a function call"),
        Case(input: "f() = 1", line: 1, column: 1, fragment: "cannot assign to a function call"),
        Case(input: "(a) = 1", line: 1, column: 1, fragment: "parenthesized"),
        Case(input: "local t = typeof(x)", line: 1, column: 11, fragment: "only allowed in types"),
        Case(input: "local n = 0x", line: 1, column: 11, fragment: "malformed number"),
        Case(input: "local n = 1e", line: 1, column: 11, fragment: "malformed exponent"),
        Case(input: "local n = 3..2", line: 1, column: 11, fragment: "malformed number"),
        Case(input: "local s = \"\\300\"", line: 1, column: 12, fragment: "decimal escape too large"),
        Case(input: "local a = 1\u{0C}b = 2", line: 1, column: 12, fragment: "form feed"),
        Case(input: "local a = $", line: 1, column: 11, fragment: "unexpected character '$'"),
        Case(input: "#!/usr/bin/lua\nprint(1)", line: 1, column: 1, fragment: "'#!'"),
        Case(input: "local function f() return ... end", line: 1, column: 27, fragment: "vararg"),
        Case(input: "break", line: 1, column: 1, fragment: "outside a loop"),
        Case(input: "while x do local f = function() break end end", line: 1, column: 33, fragment: "outside a loop"),
        Case(input: "::end::", line: 1, column: 3, fragment: "'end' is a reserved word"),
        Case(input: "goto fun", line: 1, column: 6, fragment: "'fun' is a reserved word"),
        Case(input: "local a = {1, 2 3}", line: 1, column: 17, fragment: "'}' to close '{'"),
        Case(input: "local x <close> = f()", line: 1, column: 9, fragment: "attributes like <close>"),
        Case(input: "local v = x as T.U.V", line: 1, column: 19, fragment: "(x as T.U).V"),
        Case(input: "local v = a.fun", line: 1, column: 13, fragment: "'fun' is a reserved word"),
        Case(input: "function f<T extends U>() end", line: 1, column: 14, fragment: "type parameters"),
        Case(input: "local f: fun(...: any) = nil", line: 1, column: 17, fragment: "'...T'"),
        Case(input: "local v: (number | nil)? = nil", line: 1, column: 24, fragment: "'->'"),
        Case(input: "local function f(): (number) end", line: 1, column: 30, fragment: "single return type"),
        Case(input: "local v: -1 = 1", line: 1, column: 10, fragment: "negative literal types"),
        Case(input: "local v: readonly = 1", line: 1, column: 19, fragment: "'{' after 'readonly'"),
        Case(input: "type T = {a: number b: string}", line: 1, column: 21, fragment: "'}' to close '{'"),
        Case(input: "type T<A>= A", line: 1, column: 9, fragment: "'>='"),
        Case(input: "interface I\n  x: number\nend", line: 2, column: 3, fragment: "'function' or 'end'"),
        Case(input: "x -= 1", line: 1, column: 3, fragment: "write 'x = x - 1'"),
        Case(input: "t.count ..= \"s\"", line: 1, column: 9, fragment: "write 't.count = t.count .. \"s\"'"),
        Case(input: "local a = f(\n  1,\n  2\n", line: 3, column: 4, fragment: "')' to close '(' at line 1"),
        Case(input: String(repeating: "(", count: 300) + "1", line: 1, column: 201, fragment: "too many syntax levels"),
    ]

    @Test("invalid source is rejected at the offending token", arguments: cases)
    func rejects(_ errorCase: Case) throws {
        let error = try #require(TestSupport.rejection(errorCase.input, chunkName: "bad.lua"))
        #expect(error.line == errorCase.line, "\(error)")
        #expect(error.column == errorCase.column, "\(error)")
        #expect(error.message.contains(errorCase.fragment), "\(error)")
    }

    @Test("every error description has the file:line:col: message shape", arguments: cases)
    func descriptionShape(_ errorCase: Case) throws {
        let error = try #require(TestSupport.rejection(errorCase.input, chunkName: "dir/main.lua"))
        #expect(error.description == "dir/main.lua:\(error.line):\(error.column): \(error.message)")
        #expect(error.line >= 1 && error.column >= 1)
        #expect(!error.message.isEmpty && !error.message.contains("\n"))
    }

    @Test func specCaseDescriptionsHaveTheShape() throws {
        for rejectCase in RejectCaseTests.cases {
            let error = try #require(TestSupport.rejection(rejectCase.input, chunkName: "main.lua"))
            let prefix = "main.lua:\(error.line):\(error.column): "
            #expect(error.description.hasPrefix(prefix) && error.description.count > prefix.count)
        }
        let error = try #require(TestSupport.rejection("local a = 1\n\nlocal x: number =\n  y as", chunkName: "main.lua"))
        #expect(error.description == "main.lua:4:7: expected type after 'as'")
    }

    @Test func errorsAreEquatableAndCarryTheChunkName() {
        let error = TypedLuaSyntaxError(chunkName: "a.lua", line: 3, column: 14, message: "expected type after ':'")
        #expect(error.description == "a.lua:3:14: expected type after ':'")
        #expect(error == TypedLuaSyntaxError(chunkName: "a.lua", line: 3, column: 14, message: "expected type after ':'"))
    }
}
