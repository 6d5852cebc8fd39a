import Testing
import WippyLua

/// Wippy's pattern matcher (string.find/match/gmatch/gsub, written for preemption) against Lua's own, on
/// many generated patterns and subjects (well-formed and malformed ones, every kind of item, all the
/// arguments of the four functions) plus fixed edge cases (Lua's limits on captures and nesting, anchors,
/// init positions, replacement strings, tables and functions): results and error messages must be the same.
@Suite struct PatternDifferentialTests {
    /// The generator and runner, in Lua. A deterministic generator (its own LCG) builds a case from a seed;
    /// the first `fixed` seeds give the fixed cases. `run_case` returns the serialized results of the call
    /// (values with their types, or the error message).
    static let runner = #"""
-- Differential cases for Lua 5.4 patterns: deterministic generator + runner.
local function serialize(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do
    local v = select(i, ...)
    local t = type(v)
    if t == "string" then out[#out + 1] = "s" .. #v .. ":" .. v
    elseif t == "number" then out[#out + 1] = (math.type(v) == "integer" and "i" or "f") .. tostring(v)
    else out[#out + 1] = t .. ":" .. tostring(v) end
  end
  return table.concat(out, ",")
end

local seed = 12345
local function rnd(n) -- 1..n
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local function pick(t) return t[rnd(#t)] end

local atoms = { "a", "b", "c", "x", ".", "%a", "%d", "%s", "%w", "%l", "%u", "%p", "%x", "%c", "%g", "%z",
  "%A", "%D", "%S", "%W", "%.", "%%", "%-", "[ab]", "[^a]", "[a-c]", "[%a_]", "[]]", "[^]]", "[a-]", "[%d%s]",
  "[^%w]", "%(", "%)", " ", "1", "2", "%]", "[%]]", "\0", "[\0-a]", "%Z", "%G" }
local specials = { "%b()", "%bab", "%b''", "%f[%w]", "%f[^%w]", "%f[a]", "%f[%z]", "%1", "%2", "()", "$" }
local quants = { "", "", "", "*", "+", "-", "?" }
local broken = { "%", "[a", "[", "%b", "%ba", "%f", "%fa", ")", "(", "%0", "%9", "[^", "[%", "(()" }

local function gen_pattern()
  local parts = {}
  if rnd(5) == 1 then parts[#parts + 1] = "^" end
  local open = 0
  for _ = 1, rnd(7) - 1 do
    local r = rnd(20)
    if r <= 11 then parts[#parts + 1] = pick(atoms) .. pick(quants)
    elseif r <= 13 then parts[#parts + 1] = pick(specials)
    elseif r <= 15 then parts[#parts + 1] = "("; open = open + 1
    elseif r <= 17 and open > 0 then parts[#parts + 1] = ")"; open = open - 1
    elseif r == 18 then parts[#parts + 1] = pick(broken)
    else parts[#parts + 1] = pick(atoms) end
  end
  if rnd(4) ~= 1 then for _ = 1, open do parts[#parts + 1] = ")" end end
  if rnd(6) == 1 then parts[#parts + 1] = "$" end
  return table.concat(parts)
end

local chars = { "a", "b", "c", "x", " ", "1", "2", "(", ")", "'", "_", ".", "%", "A", "B", "\0", "\n", "]", "\200" }
local function gen_subject()
  local parts = {}
  for _ = 1, rnd(12) - 1 do parts[#parts + 1] = pick(chars) end
  return table.concat(parts)
end

local repls = { "<%0>", "%1", "%1-%2", "%%", "x%", "%9", "[%0%0]", "", "y", 7 }
local tables = { { a = "A", b = false, x = 1.5, [" "] = "_" }, {} }
local funcs = {
  function(...) return nil end,
  function(a) return a .. "!" end,
  function(a, b) return tostring(b) end,
  function() return false end,
  function() return 42 end,
  function() return {} end,
}

local a300 = ("a"):rep(300)
local fixed = {
  { "find", a300, ("a?"):rep(199) }, { "find", a300, ("a?"):rep(200) }, { "find", a300, ("a-"):rep(199) .. "$" },
  { "find", a300, ("a-"):rep(200) .. "$" }, { "find", a300, ("(a)"):rep(32) }, { "find", a300, ("(a)"):rep(33) },
  { "find", a300, ("()"):rep(33) }, { "match", a300, ("(a*)"):rep(150) }, { "find", a300, ("a*"):rep(250) },
  { "gsub", "hello world", "()", "%1" }, { "gsub", "hello world", "(o)()", "%2%1" }, { "gsub", "abc", "", "-" },
  { "gsub", "abc", "^", "-" }, { "gsub", "abc", "$", "-" }, { "gsub", "abc", "^a", "-" }, { "gsub", "aaa", "^a", "-" },
  { "gsub", "abc", "%w", "%0%0", -1 }, { "gsub", "abc", "%w", "%0%0", 0 }, { "gsub", "abc", "%w", "%0%0", 2 },
  { "gsub", "abc", "%w", "%0%0", 2.0 }, { "gsub", 12345, 3, 9 }, { "find", 12345, 34 }, { "find", 1.5, "." },
  { "gmatch", "^a^a", "^a" }, { "gmatch", "abc", "" }, { "gmatch", "abc", "", 10 }, { "gmatch", "abc", "", -1 },
  { "gmatch", "a,b,,c", "([^,]*)" }, { "gsub", "a,b,,c", "[^,]*", "<%0>" }, { "find", "abc", "", 10 },
  { "find", "abc", "", 4 }, { "find", "abc", "", -10 }, { "find", "abc", "c", -1 }, { "find", "abc", "b", 0 },
  { "find", "a.b", ".", 1, true }, { "find", "a+b", "+", 1, 1 }, { "find", "ab", "b", 2^53 }, { "match", "ab", "()", 3 },
  { "match", "  x  ", "^%s*(.-)%s*$" }, { "match", "key = value", "(%w+)%s*=%s*(%w+)" }, { "match", "f(a(b)c)", "%b()" },
  { "match", "THE (quick) fox", "%f[%a]%a+" }, { "gsub", "THE (quick) fox", "%f[%a]", "|" },
  { "gsub", "THE (quick) fox", "%f[%A]", "|" }, { "match", "hello", "(h)(e)(l)(l)(o)%5%4" }, { "match", "x", "%1" },
  { "match", "abab", "(ab)%1" }, { "match", "abab", "()%1" }, { "find", "a\0b", "%z" }, { "find", "a\0b", "[%z]" },
  { "find", "a]b", "[]]" }, { "find", "a-b", "[a-]", 2 }, { "find", "a^b", "[b^]" }, { "gsub", "abc", ".", { a = 1, b = true } },
  { "gsub", "abc", "(.)", "%2" }, { "gsub", "abc", ".", "%" }, { "gsub", "abc", ".", "%a" }, { "gsub", "abc", "x*", "-" },
  { "gsub", "", "", "x" }, { "gsub", "", "x*", "y" }, { "match", "", ".-" }, { "match", "", "()" },
  { "find", "a", "(" }, { "find", "a", "%" }, { "find", "b", "a%" }, { "find", "", "[a" }, { "find", "a", "a[" },
  { "gsub", "abc", "b", nil }, { "gsub", "abc", "b", true }, { "gsub", "abc", "b", "x", "y" }, { "find", nil, "x" },
  { "find", "x", nil }, { "find", "x", "x", "y" }, { "match", {}, "x" }, { "gmatch", "x", {} }, { "find", "x", "x", 1.5 },
}
local fixed_at = 0

-- one case: a function name and its arguments (closures chosen by index so both states build them alike)
local function gen_case()
  if fixed_at < #fixed then fixed_at = fixed_at + 1 return fixed[fixed_at] end
  local s, p = gen_subject(), gen_pattern()
  local r = rnd(10)
  if r <= 3 then
    local init = rnd(3) == 1 and (rnd(15) - 8) or nil
    local plain = rnd(6) == 1
    return { "find", s, p, init, plain }
  elseif r <= 5 then
    return { "match", s, p, rnd(3) == 1 and (rnd(15) - 8) or nil }
  elseif r <= 7 then
    return { "gmatch", s, p, rnd(4) == 1 and (rnd(15) - 8) or nil }
  else
    local kind = rnd(3)
    local repl = kind == 1 and pick(repls) or kind == 2 and -rnd(#tables) or rnd(#funcs) + 100
    return { "gsub", s, p, repl, rnd(4) == 1 and (rnd(6) - 2) or nil }
  end
end

local function run_case(c)
  local f = c[1]
  if f == "find" then return serialize(pcall(string.find, c[2], c[3], c[4], c[5]))
  elseif f == "match" then return serialize(pcall(string.match, c[2], c[3], c[4]))
  elseif f == "gmatch" then
    local ok, res = pcall(function()
      local out, n = {}, 0
      for a, b, c2 in string.gmatch(c[2], c[3], c[4]) do
        n = n + 1
        out[#out + 1] = serialize(a, b, c2)
        if n > 100 then break end
      end
      return table.concat(out, ";")
    end)
    return serialize(ok, res)
  else
    local repl = c[4]
    if type(repl) == "number" and repl < 0 then repl = tables[-repl]
    elseif type(repl) == "number" and repl > 100 then repl = funcs[repl - 100] end
    return serialize(pcall(string.gsub, c[2], c[3], repl, c[5]))
  end
end

return { gen_case = gen_case, run_case = run_case, set_seed = function(s) seed = s end, fixed = #fixed }
"""#

    static func state(ours: Bool) -> LuaState {
        let state = LuaState(standardLibraries: true)
        if ours { state.openLibraryExtensions() }
        let lua = state.main
        #expect(lua.load(Array(runner.utf8), name: "=runner") == nil)
        #expect(lua.protectedCall(arguments: 0, results: 1) == nil)
        lua.pushGlobals()
        lua.pushValue(at: -2)
        lua.rawSet(-2, key: "R")
        lua.pop(2)
        return state
    }

    /// Runs the cases of seeds `range` in `state`; one line per case (its description, then its result).
    static func results(_ state: LuaState, _ range: ClosedRange<Int>) -> [String] {
        let source = """
            local first, last = ...
            local out = {}
            for seed = first, last do
                R.set_seed(seed)
                local c = R.gen_case()
                local shown = {}
                for i = 1, 5 do
                    local v = c[i]
                    shown[i] = type(v) == "string" and string.format("%q", v) or type(v) == "table" and "table" or tostring(v)
                end
                out[#out + 1] = table.concat(shown, " ") .. " => " .. R.run_case(c)
            end
            return out
            """
        let lua = state.main
        #expect(lua.load(Array(source.utf8), name: "=cases") == nil)
        lua.push(Int64(range.lowerBound))
        lua.push(Int64(range.upperBound))
        if let error = lua.protectedCall(arguments: 2, results: 1) {
            Issue.record("cases failed: \(error)")
            return []
        }
        var lines: [String] = []
        for index in 1...range.count {
            lua.rawGet(-1, index: Int64(index))
            lines.append(String(decoding: lua.bytes(at: -1) ?? [], as: UTF8.self))
            lua.pop()
        }
        lua.pop()
        return lines
    }

    @Test func sameResultsAsLuasMatcher() {
        let stock = Self.state(ours: false), ours = Self.state(ours: true)
        let range = 1...12_000
        let expected = Self.results(stock, range), actual = Self.results(ours, range)
        #expect(expected.count == range.count)
        #expect(actual.count == expected.count)
        var differences = 0
        for (want, got) in zip(expected, actual) where want != got {
            differences += 1
            if differences <= 10 { Issue.record("differs:\n  Lua:   \(want)\n  Wippy: \(got)") }
        }
        #expect(differences == 0, "\(differences) of \(range.count) cases differ")
        // the generator covers what it should: errors of malformed patterns, matches and misses
        let all = expected.joined(separator: "\n")
        for text in [
            "malformed pattern (ends with '%')", "malformed pattern (missing ']')", "missing '[' after '%f' in pattern",
            "malformed pattern (missing arguments to '%b')", "invalid capture index %", "unfinished capture",
            "invalid pattern capture", "pattern too complex", "too many captures",
            "invalid use of '%' in replacement string", "invalid replacement value (a table)",
            "(string/function/table expected, got boolean)",
        ] {
            #expect(all.contains(text), "no case produced \(text)")
        }
    }

    /// The installed functions are Wippy's (the test above would pass trivially otherwise).
    @Test func theExtensionsReplaceLuasFunctions() {
        let stock = LuaState(standardLibraries: true), ours = LuaState(standardLibraries: true)
        ours.openLibraryExtensions()
        let probe = "return tostring(string.find) .. ' ' .. tostring(string.gsub)"
        guard case .success(let a) = Bridge.run(stock, probe), case .success(let b) = Bridge.run(ours, probe) else {
            Issue.record("probe failed")
            return
        }
        #expect(a != b)
    }
}
