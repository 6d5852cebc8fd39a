import Testing
import WippyCore
import WippyLua
import WippyRuntime

/// `string.gsub` with a function replacement runs in Lua (so the function can be preempted); it must give
/// exactly what Lua's C gsub gives.
@Suite struct StringGsubTests {
    /// Each case: subject, pattern, optional max; the replacement function tags what it saw.
    static let cases: [(String, String, Int?)] = [
        ("hello world from lua", "%w+", nil), ("k1=v1, k2=v2", "(%w+)=(%w+)", nil), ("abc", "", nil),
        ("aaa", "x*", nil), ("abc", "a*", nil), ("banana", "an", 1), ("banana", "^b", nil), ("banana", "^a", nil),
        ("  trim  ", "%s*$", nil), ("abc", "()", nil), ("a,b,,c", "[^,]*", nil), ("hello", "l+", nil),
        ("one two", "(o)(n?)", nil), ("x", "x", 0), ("αβγ", ".", nil), ("a.b.c", "%.", 2), ("", "", nil),
        ("aaa", "a-", nil), ("[tag] text [x]", "%[(.-)%]", nil), ("12 apples 345", "%d+", nil),
    ]

    static func script(gsub: String) -> String {
        var lines: [String] = ["local out = {}"]
        for (subject, pattern, max) in cases {
            let maxText = max.map(String.init) ?? "nil"
            lines.append("""
                do
                    local seen = {}
                    local r, n = \(gsub)("\(subject)", "\(pattern)", function(...)
                        local parts = {}
                        for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
                        seen[#seen + 1] = table.concat(parts, "|")
                        if #seen % 3 == 0 then return nil end
                        if #seen % 3 == 1 then return "<" .. seen[#seen] .. ">" end
                        return #seen
                    end, \(maxText))
                    out[#out + 1] = r .. "#" .. n .. "#" .. table.concat(seen, ";")
                end
                """)
        }
        lines.append("return table.concat(out, '\\n')")
        return lines.joined(separator: "\n")
    }

    @Test func matchesLuasOwnGsub() async throws {
        // reference: Debian's Lua with its C gsub
        let reference = LuaState()
        #expect(reference.main.load(Array(Self.script(gsub: "string.gsub").utf8), name: "=reference") == nil)
        #expect(reference.main.protectedCall(arguments: 0, results: 1) == nil)
        let expected = reference.main.bytes(at: -1) ?? []

        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: "return { main = function() \(Self.script(gsub: "string.gsub")) end }")
        #expect(result.error == nil)
        // compared as bytes: some cases split multi-byte characters
        let actual: [UInt8]
        switch result.value {
        case .string(let text): actual = Array(text.utf8)
        case .bytes(let bytes): actual = bytes
        default: actual = []
        }
        let expectedLines = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let actualLines = actual.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        #expect(expectedLines.count == Self.cases.count)
        for (index, pair) in zip(expectedLines, actualLines).enumerated() {
            #expect(
                pair.0 == pair.1,
                "case \(Self.cases[index]): C gave \(String(decoding: pair.0, as: UTF8.self)), ours gave \(String(decoding: pair.1, as: UTF8.self))")
        }
    }

    @Test func invalidReplacementValueRaises() async {
        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: """
            return { main = function()
                local ok, e = pcall(string.gsub, "abc", "b", function() return {} end)
                return tostring(ok) .. "|" .. tostring(e)
            end }
            """)
        #expect(result.value.stringValue?.hasPrefix("false|") == true)
        #expect(result.value.stringValue?.contains("invalid replacement value (a table)") == true)
    }
}
