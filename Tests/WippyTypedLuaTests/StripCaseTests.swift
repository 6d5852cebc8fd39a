import Testing
import WippyTypedLua

/// The spec's strip cases S01–S55 (section 6.1).
@Suite struct StripCaseTests {
    @Test("strip case translates to the expected Lua", arguments: StripCases.all)
    func stripCase(_ stripCase: StripCases.Case) throws {
        let output = try #require(TestSupport.translate(stripCase.input, chunkName: "\(stripCase.id).lua"))
        TestSupport.expectEquivalent(output, stripCase.expected, stripCase.id)
        #expect(LuaTokenizer.lineCount(output) == LuaTokenizer.lineCount(stripCase.input))
    }

    @Test func allFiftyFiveCasesArePresent() {
        let ids = StripCases.all.map(\.id)
        #expect(ids == (1...55).map { $0 < 10 ? "S0\($0)" : "S\($0)" })
    }

    @Test func blankingKeepsColumnsWhenNothingIsInserted() throws {
        // Only T3/T4 insertions may move columns; plain annotations keep every byte offset.
        let input = "local count: integer = 0 -- tail\nlocal s: string = 'x'"
        let output = try TypedLua.translate(input, chunkName: "cols.lua")
        #expect(output == "local count          = 0 -- tail\nlocal s         = 'x'")
    }
}
