import Testing
import WippyTypedLua

/// Helpers shared by the suites.
enum TestSupport {
    /// Translates `source` and returns the text; records an issue and returns nil on a syntax error.
    static func translate(_ source: String, chunkName: String = "test.lua") -> String? {
        do {
            return try TypedLua.translate(source, chunkName: chunkName)
        } catch {
            Issue.record("unexpected syntax error: \(error)")
            return nil
        }
    }

    /// The error `source` is rejected with, or nil (recording an issue) when it is accepted.
    static func rejection(_ source: String, chunkName: String = "test.lua") -> TypedLuaSyntaxError? {
        do {
            let output = try TypedLua.translate(source, chunkName: chunkName)
            Issue.record("expected a syntax error, got:\n\(output)")
            return nil
        } catch {
            return error
        }
    }

    /// Compares two Lua texts as the spec asks: same number of lines, same tokens on each line.
    static func expectEquivalent(
        _ actual: String, _ expected: String, _ comment: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            LuaTokenizer.lineCount(actual) == LuaTokenizer.lineCount(expected),
            "line count differs \(comment)\n--- actual:\n\(actual)\n--- expected:\n\(expected)",
            sourceLocation: sourceLocation)
        #expect(
            LuaTokenizer.tokens(actual) == LuaTokenizer.tokens(expected),
            "tokens differ \(comment)\n--- actual:\n\(actual)\n--- expected:\n\(expected)",
            sourceLocation: sourceLocation)
    }
}
