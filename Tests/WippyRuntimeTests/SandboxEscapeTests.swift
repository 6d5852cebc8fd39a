import Testing
import WippyCore
import WippyRuntime

/// Attempts to modify the shared, read-only library tables (lua-api-core §1.2, typed-lua §5.1). Each attack
/// must raise in the attacker, and a fresh process of another entry on the same worker (one-worker host, so
/// the same Lua state) must see the libraries unchanged.
@Suite struct SandboxEscapeTests {
    struct Attack: CustomTestStringConvertible, Sendable {
        let attack: String
        let verify: String
        var testDescription: String { attack }
    }

    static let pwn = "function() return 'pwned' end"

    static let attacks: [Attack] = [
        Attack(attack: "string.upper = \(pwn)", verify: "('a'):upper() == 'A' and string.upper('a') == 'A'"),
        Attack(attack: "string.newfield = 1", verify: "string.newfield == nil"),
        Attack(attack: "table.insert = nil", verify: "type(table.insert) == 'function'"),
        Attack(attack: "math.pi = 3", verify: "math.pi > 3.14"),
        Attack(attack: "os.time = nil", verify: "type(os.time) == 'function'"),
        Attack(attack: "coroutine.resume = nil", verify: "type(coroutine.resume) == 'function'"),
        Attack(attack: "errors.new = nil", verify: "type(errors.new) == 'function'"),
        Attack(attack: "channel.new = nil", verify: "type(channel.new) == 'function'"),
        Attack(attack: "process.send = nil", verify: "type(process.send) == 'function'"),
        Attack(attack: "process.event.EXIT = 'x'", verify: "process.event.EXIT == 'pid.exit'"),
        Attack(attack: "process.registry.lookup = nil", verify: "type(process.registry.lookup) == 'function'"),
        Attack(attack: "package.path = '/tmp/?.lua'", verify: "package.path == ''"),
        Attack(attack: "payload.new = nil", verify: "type(payload.new) == 'function'"),
        Attack(attack: "rawset(string, 'upper', \(pwn))", verify: "('a'):upper() == 'A'"),
        Attack(attack: "rawset(table, 'insert', nil)", verify: "type(table.insert) == 'function'"),
        Attack(attack: "rawset(math, 'pi', 3)", verify: "math.pi > 3.14"),
        Attack(attack: "rawset(os, 'time', 1)", verify: "type(os.time) == 'function'"),
        Attack(attack: "rawset(coroutine, 'wrap', 1)", verify: "type(coroutine.wrap) == 'function'"),
        Attack(attack: "rawset(errors, 'new', 1)", verify: "type(errors.new) == 'function'"),
        Attack(attack: "rawset(channel, 'new', 1)", verify: "type(channel.new) == 'function'"),
        Attack(attack: "rawset(process, 'send', 1)", verify: "type(process.send) == 'function'"),
        Attack(attack: "setmetatable(string, {__index = function() return \(pwn) end})", verify: "('a'):upper() == 'A'"),
        Attack(attack: "setmetatable(math, {})", verify: "getmetatable(math) ~= nil and math.floor(1.5) == 1"),
        Attack(attack: "setmetatable(process, {})", verify: "type(process.pid) == 'function'"),
        Attack(attack: "getmetatable('').__index.upper = \(pwn)", verify: "('a'):upper() == 'A'"),
        Attack(attack: "getmetatable('').__index = {upper = \(pwn)}", verify: "('a'):upper() == 'A'"),
        Attack(attack: "rawset(getmetatable(''), '__index', {upper = \(pwn)})", verify: "('a'):upper() == 'A'"),
        Attack(attack: "setmetatable(getmetatable(''), {__index = function() return 1 end})", verify: "('a'):upper() == 'A'"),
        Attack(attack: "getmetatable('').__index.len = nil", verify: "('abc'):len() == 3"),
        Attack(attack: "setmetatable(_G, {__index = function() return 'x' end})", verify: "undefined_global_xyz == nil"),
        Attack(attack: "getmetatable(errors.new('x')).__index.message = \(pwn)", verify: "errors.new('x'):message() == 'x'"),
        Attack(attack: "getmetatable(channel.new()).__index.send = \(pwn)", verify: "type(getmetatable(channel.new())) ~= 'table'"),
        // The read-only proxies' __pairs must not hand out the real table behind them.
        Attack(attack: "local _, real = pairs(string) real.upper = \(pwn)", verify: "('a'):upper() == 'A' and string.upper('a') == 'A'"),
        Attack(attack: "local _, real = pairs(process) real.pid = function() return '{fake|0x1}' end", verify: "process.pid() ~= '{fake|0x1}'"),
        Attack(attack: "local _, real = pairs(getmetatable('').__index) real.rep = \(pwn)", verify: "('a'):rep(2) == 'aa'"),
        Attack(attack: "local _, real = pairs(table) real.concat = \(pwn)", verify: "table.concat({'a', 'b'}) == 'ab'"),
        Attack(attack: "local _, real = pairs(errors) real.NOT_FOUND = 'x'", verify: "errors.NOT_FOUND == 'NotFound'"),
    ]

    @Test(arguments: attacks)
    func attackFailsAndLeavesTheSharedLibrariesIntact(_ attack: Attack) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:attacker", source: """
            return { main = function()
                local ok, e = pcall(function() \(attack.attack) end)
                return tostring(ok) .. "|" .. tostring(e)
            end }
            """)
        node.install("test:victim", source: """
            return { main = function()
                local ok, v = pcall(function() return \(attack.verify) end)
                if not ok then return "error: " .. tostring(v) end
                return tostring(v)
            end }
            """)
        let attacker = await node.run("test:attacker")
        #expect(attacker.text.hasPrefix("false|"), "the attack must raise: \(attacker.text)")
        let victim = await node.run("test:victim")
        #expect(victim.text == "true", "another process on the same worker sees the change")
    }

    /// The read-only error message is the one users see.
    @Test func writingALibraryTableRaisesAReadableError() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ok, e = pcall(function() string.upper = nil end)
                return tostring(e)
            end }
            """)
        #expect(result.text.contains("read-only"), "\(result.text)")
    }

    /// Every library table is the same read-only object for all processes; user tables stay writable.
    @Test func ordinaryTablesAndOwnGlobalsStayWritable() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local t = {}
                rawset(t, "a", 1)
                t.b = 2
                eq("rawset user table", t.a, 1)
                setmetatable(t, {__index = function() return "dflt" end})
                eq("metatable on user table", t.zzz, "dflt")
                my_global = 5
                eq("own global", my_global, 5)
                rawset(_G, "raw_global", 6)
                eq("rawset own env", raw_global, 6)
                string = {upper = function() return "mine" end}
                eq("shadowing a library in own env", string.upper("a"), "mine")
                eq("string methods still work", ("a"):upper(), "A")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }
}
