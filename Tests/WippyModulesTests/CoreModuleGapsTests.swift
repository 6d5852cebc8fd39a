import Logging
import Testing
import WippyCore
import WippyRuntime

/// Issue 7, items 6 and 9, where modules are involved: values that cannot travel through `funcs`, `events`
/// and Spawners; `funcs` on `process.lua` entries; error objects wherever Lua treats them as strings.
@Suite struct CoreModuleGapsTests {
    func harness() -> ModulesHarness {
        let harness = ModulesHarness(workers: 2)
        harness.install("test:double", kind: .function, source: "return function(x) return x * 2 end")
        harness.install("test:handler", kind: .function, source: "return function() return {handler = print} end")
        harness.install("test:worker", source: """
            return { main = function(x)
                if x == "fail" then return nil, errors.new({message = "worker failed", kind = errors.CONFLICT}) end
                if x == "raise" then error("worker raised", 0) end
                return {got = x, pid = process.pid()}
            end }
            """)
        return harness
    }

    /// funcs.call / funcs.async arguments and results, events.send data and with_message payloads that cannot
    /// travel fail where they are given, naming what and where.
    @Test func functionsEventsAndSpawnersRefuseWhatCannotTravel() async {
        let result = await harness().run("""
            return function()
                local out = {}
                local function add(ok, err) out[#out + 1] = tostring(ok) .. " " .. tostring(err) end
                add(funcs.call("test:double", {f = print}))
                add(funcs.async("test:double", 1, coroutine.create(print)))
                add(funcs.call("test:handler"))
                add(funcs.new():with_context({cb = print}):call("test:double", 1))
                add(events.send("app", "thing", "/x", {list = {channel.new()}}))
                local ok, err = pcall(function() return process.with_context({}):with_message("hello", {f = print}) end)
                add(ok, err)
                local ok2, err2 = pcall(process.with_context, {cb = print})
                add(ok2, err2)
                return out
            end
            """, modules: ["funcs", "events"])
        let lines = result.value.tableValue?.array.compactMap(\.stringValue) ?? [result.text]
        #expect(lines.count == 7, "\(lines)")
        guard lines.count == 7 else { return }
        #expect(lines[0] == "nil cannot send a function (at args[1].f)")
        #expect(lines[1] == "nil cannot send a coroutine (at args[2])")
        #expect(lines[2] == "nil cannot return a function (at result.handler)")
        #expect(lines[3] == "nil cannot send a function (at context.cb)")
        #expect(lines[4] == "nil cannot send a channel (at data.list[1])")
        #expect(lines[5].hasPrefix("false ") && lines[5].hasSuffix("cannot send a function (at args[1].f)"), "\(lines[5])")
        #expect(lines[6].hasPrefix("false ") && lines[6].hasSuffix("cannot send a function (at context.cb)"), "\(lines[6])")
    }

    /// `funcs.call` / `funcs.async` on a `process.lua` entry run it as a process: its result comes back, and so
    /// do its errors with their message (and kind).
    @Test func funcsCallRunsProcessEntries() async {
        let result = await harness().run("""
            return function()
                local v, err = funcs.call("test:worker", "job")
                local _, failed = funcs.call("test:worker", "fail")
                local _, raised = funcs.call("test:worker", "raise")
                local future = funcs.async("test:worker", "async job")
                local payload = future:response():receive()
                local f2 = funcs.async("test:worker", "fail")
                local got = f2:response():receive()
                return {
                    v and v.got, err == nil, type(v and v.pid), failed:message(), failed:kind(), raised:message(),
                    payload:data().got, errors.is(got, errors.CONFLICT), tostring(got),
                }
            end
            """, modules: ["funcs"])
        #expect(result.value == .array([
            "job", true, "string", "worker failed", "Conflict", "worker raised", "async job", true, "worker failed",
        ]))
    }

    /// Error objects work wherever Lua code treats them as strings.
    @Test func errorObjectsActAsStrings() async {
        let harness = harness()
        let result = await harness.run("""
            return function()
                local e = errors.new({message = "disk full", kind = errors.UNAVAILABLE})
                print(e)
                logger:error("write failed", {error = e, nested = {cause = e}})
                return {
                    e .. "!", "err: " .. e, e .. e, string.format("%s|%5.4s|%q", e, e, tostring(e)), #tostring(e),
                    e .. 1, tostring(errors.wrap(e, "saving")),
                }
            end
            """, modules: ["logger"])
        #expect(result.value == .array([
            "disk full!", "err: disk full", "disk fulldisk full", "disk full| disk|\"disk full\"", 9, "disk full1", "disk full",
        ]), "\(result.text)")
        let printed = harness.records.all.filter { $0.message == "disk full" }
        #expect(printed.count == 1)
        let logged = harness.records.with(message: "write failed").first
        #expect(logged?.metadata["error"] == .string("disk full"))
        #expect(logged?.metadata["nested"] == .dictionary(["cause": .string("disk full")]))
    }
}

extension ModulesHarness {
    /// Runs `source` as `test:main` with exactly `modules` listed.
    func run(_ source: String, _ arguments: [Payload] = [], modules: [String]) async -> ProcessResult {
        install("test:main", source: source, modules: modules)
        return await runEntry("test:main", arguments)
    }
}

extension ProcessResult {
    /// The result value as a string, or a description of what happened instead (for readable failures).
    var text: String {
        if let error { return "error: \(error.message)" }
        if case .string(let s) = value { return s }
        return "value: \(value)"
    }
}
