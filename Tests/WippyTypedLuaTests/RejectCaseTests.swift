import Testing
import WippyTypedLua

/// The spec's must-reject cases R01–R22 (section 6.2): each fails at the right place with a useful message.
@Suite struct RejectCaseTests {
    struct Case: Sendable, CustomStringConvertible {
        var id: String
        var input: String
        var line: Int
        var column: Int
        /// The exact message, or nil to check only that the message is non-empty.
        var message: String?
        var description: String { "\(id): \(input)" }
    }

    static let cases: [Case] = [
        Case(id: "R01", input: "local x: = 1", line: 1, column: 10, message: "expected type after ':'"),
        Case(
            id: "R02", input: "local function f(a: number b: number) end", line: 1, column: 28,
            message: "expected ',' or ')' in the parameter list opened at line 1, found 'b'"),
        Case(id: "R03", input: "function f(): end", line: 1, column: 15, message: "expected type after ':'"),
        Case(id: "R04", input: "local y = x as", line: 1, column: 15, message: "expected type after 'as'"),
        Case(
            id: "R05", input: "type Point {x: number}", line: 1, column: 12,
            message: "expected '=' after 'type Point', found '{'"),
        Case(id: "R06", input: "x! = 1", line: 1, column: 2, message: nil),
        Case(id: "R07", input: "local a = b!.c", line: 1, column: 13, message: nil),
        Case(
            id: "R08", input: "type R = {a? : number}", line: 1, column: 12,
            message: "write the optional-field marker as '?:' with no space before ':'"),
        Case(id: "R09", input: "if a != b then end", line: 1, column: 6, message: "'!=' is not an operator; use '~='"),
        Case(id: "R10", input: "local n: number | = 1", line: 1, column: 19, message: "expected type after '|'"),
        Case(
            id: "R11", input: "local x <const> = 5", line: 1, column: 9,
            message: "attributes like <const> are not supported"),
        Case(id: "R12", input: "for i: integer = 1, 3 do end", line: 1, column: 6, message: nil),
        Case(id: "R13", input: "export type T = number", line: 1, column: 1, message: nil),
        Case(id: "R14", input: "while true do break print(1) end", line: 1, column: 21, message: nil),
        Case(
            id: "R15", input: "local n = 0x1p4", line: 1, column: 11,
            message: "hexadecimal float literals are not supported; write a decimal number"),
        Case(id: "R16", input: "local fun = 1", line: 1, column: 7, message: "'fun' is a reserved word"),
        Case(id: "R17", input: "local ok = n as integer < 10", line: 1, column: 29, message: nil),
        Case(id: "R18", input: "function M.is() end", line: 1, column: 12, message: nil),
        Case(id: "R19", input: "local b: Box<number>= nil", line: 1, column: 20, message: nil),
        Case(
            id: "R20", input: "local cb: function = print", line: 1, column: 11,
            message: "'function' is not a type; use '(..) -> ..' or 'fun(..)'"),
        Case(
            id: "R21", input: "x += 1", line: 1, column: 3,
            message: "compound assignment '+=' is not supported; write 'x = x + 1'"),
        Case(
            id: "R22", input: "for i = 1, 3 do if i == 2 then continue end end", line: 1, column: 32,
            message: "'continue' is not supported; use 'goto continue' and put '::continue::' at the end of "
                + "the loop body"),
    ]

    @Test("reject case fails at the expected position", arguments: cases)
    func rejectCase(_ rejectCase: Case) throws {
        let error = try #require(TestSupport.rejection(rejectCase.input, chunkName: "\(rejectCase.id).lua"))
        #expect(error.chunkName == "\(rejectCase.id).lua")
        #expect(error.line == rejectCase.line, "\(error)")
        #expect(error.column == rejectCase.column, "\(error)")
        if let message = rejectCase.message {
            #expect(error.message == message)
        } else {
            #expect(!error.message.isEmpty)
        }
    }

    @Test func allTwentyTwoCasesArePresent() {
        #expect(Self.cases.map(\.id) == (1...22).map { $0 < 10 ? "R0\($0)" : "R\($0)" })
    }

    @Test("rejections keep their position on a later line", arguments: cases)
    func rejectCaseAfterOtherLines(_ rejectCase: Case) throws {
        let input = "local ok = 1\r\n-- comment\n\n" + rejectCase.input
        let error = try #require(TestSupport.rejection(input))
        #expect(error.line == rejectCase.line + 3, "\(error)")
        #expect(error.column == rejectCase.column, "\(error)")
    }

    @Test func messagesSayWhatToWriteInstead() throws {
        let messages = Self.cases.compactMap { TestSupport.rejection($0.input)?.message }
        #expect(messages.count == 22)
        for (input, hint) in [
            ("x! = 1", "'!'"), ("local a = b!.c", "(b!)."), ("export type T = number", "type Name = ..."),
            ("while true do break print(1) end", "do break end"), ("function M.is() end", "'is'"),
            ("local b: Box<number>= nil", "'> ='"), ("local ok = n as integer < 10", "(x as T) < y"),
            ("for i: integer = 1, 3 do end", "loop variables cannot have type annotations"),
        ] {
            let message = try #require(TestSupport.rejection(input)).message
            #expect(message.contains(hint), "\(input): \(message)")
        }
    }
}
