import Testing
import WippyTypedLua

/// The translator's proof that a chunk uses the global `process` only to read its fields (the runtime may then
/// bind `process` to a local holding a plain copy of the module): what it accepts, and that every way the
/// local could be seen as a value, written, or differ from the global is refused.
@Suite struct ProcessFieldUseTests {
    private func readsOnly(_ source: String) -> Bool? {
        do {
            return try TypedLua.translateModule(Array(source.utf8), chunkName: "test.lua").readsProcessFieldsOnly
        } catch {
            Issue.record("unexpected syntax error: \(error)")
            return nil
        }
    }

    private func expectBound(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(readsOnly(source) == true, "expected field reads only:\n\(source)", sourceLocation: sourceLocation)
    }

    private func expectRefused(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(readsOnly(source) == false, "expected the binding to be refused:\n\(source)", sourceLocation: sourceLocation)
    }

    @Test func fieldReadsAndCallsOfFieldsAreAccepted() {
        expectBound("""
            local M = {}
            local send = process.send
            function M.pong()
                local inbox: any = process.inbox()
                while true do
                    local msg = inbox:receive()
                    if msg:topic() == "stop" then return end
                    process.send(msg:from(), "pong")
                    send(process.pid(), "self", process.event.EXIT)
                end
            end
            return M
            """)
        // a local named `process` is an ordinary local, whatever is done with it
        expectBound("""
            local function f(process) process.x = 1; return process end
            do local process = {}; process[1] = process end
            return process.pid()
            """)
    }

    @Test func aChunkThatNeverReadsProcessIsNotBound() {
        expectRefused("return 1")
        expectRefused("local process = {}; return process.pid")
    }

    /// Each of these would let the plain copy be seen as a value (and written or compared), or make the local
    /// differ from the global.
    @Test func everyOtherUseIsRefused() {
        let sources = [
            "local p = process; return p.send",             // bare value
            "return process.pid(), process",                // bare value among field reads
            "print(process)",                               // passed along
            "return process:pid()",                         // method call passes it as self
            "return process['send']",                       // index with brackets
            "return process()",                             // called
            "process.x = 1; return process.pid()",          // a field written
            "process = nil; return 1",                      // the global assigned
            "process, y = nil, 1",                          // in an assignment list
            "function process.f() end",                     // a function defined in it
            "function process:f() end",
            "local a = ...; return process.pid()",          // the chunk's `...` holds the copy
            "return _G.process.pid()",                      // the global behind the local
            "_ENV.process = {}; return process.pid()",
            "local _ENV = {process = {}}; return process.pid()", // globals from another table
            "local function f() return process end return f",     // bare inside a function
        ]
        for source in sources { expectRefused(source) }
    }

    @Test func theChunksOwnVarargInsideAFunctionIsFine() {
        expectBound("local function f(...) return ... end; return process.pid(), f(1)")
    }
}

/// `inbox:receive()` on a local that surely holds the process's inbox becomes `__wippy_receive(inbox)` (the
/// runtime binds that local to the channels' `receive`): where it happens, and every case that keeps the method
/// call.
@Suite struct ReceiveRewriteTests {
    private func translate(_ source: String, bindsProcess: Bool = true) -> TypedLua.Module? {
        do {
            return try TypedLua.translateModule(Array(source.utf8), chunkName: "test.lua", bindsProcess: bindsProcess)
        } catch {
            Issue.record("unexpected syntax error: \(error)")
            return nil
        }
    }

    private func code(_ module: TypedLua.Module?) -> String { module.map { String(decoding: $0.code, as: UTF8.self) } ?? "" }

    /// Fails if the call is not rewritten, if a line moves, or if the flag does not say so.
    @Test func receiveOnTheInboxLocalIsRewritten() {
        let source = """
            local M = {}
            function M.pong()
                local inbox: any = process.inbox()
                while true do
                    local msg = inbox:receive()
                    inbox
                      :receive()
                    process.send(msg:from(), "pong")
                end
            end
            return M
            """
        let module = translate(source)
        let text = code(module)
        #expect(module?.bindsReceive == true)
        #expect(text.contains("local msg = __wippy_receive(inbox)"), "\(text)")
        #expect(text.contains("__wippy_receive(inbox\n"), "\(text)")
        #expect(!text.contains(":receive"), "\(text)")
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count
            == source.split(separator: "\n", omittingEmptySubsequences: false).count)
    }

    /// A cast of the call is parenthesised (rule T4) around the rewritten call.
    @Test func aCastOfTheCallWrapsTheRewrittenCall() {
        let text = code(translate("local inbox = process.inbox(); local m = inbox:receive() as any; return m"))
        #expect(text.contains("(__wippy_receive(inbox))"), "\(text)")
    }

    /// Each keeps `inbox:receive()`: the local may hold something else, the call has arguments, the chunk could
    /// see the bound local, `process` is not bound, or the runtime does not bind it for this entry.
    @Test func everyUnprovenCaseKeepsTheMethodCall() {
        let sources = [
            "local inbox = process.inbox(); inbox = other; return inbox:receive()",
            "local inbox = process.inbox(); local function f() inbox = nil end; return inbox:receive()",
            "local inbox = process.inbox(); function inbox() end; return inbox:receive()",
            "local inbox = process.inbox(); return inbox:receive(1)",
            "local inbox = channel.new(); return process.pid(), inbox:receive()",
            "local inbox = process.inbox() or x; return inbox:receive()",
            "local inbox, y = process.inbox(); return inbox:receive()",
            "local inbox = process.inbox(); local __wippy_receive = 1; return inbox:receive()",
            "local inbox = process.inbox(); print(process); return inbox:receive()",
            "local inbox = f(process.inbox()); return inbox:receive()",
            "local inbox = process.inbox(); do local inbox = g() return inbox:receive() end",
        ]
        for source in sources {
            let module = translate(source)
            #expect(module?.bindsReceive == false, "\(source)")
            #expect(code(module).contains("inbox:receive("), "\(source)")
        }
        let unbound = translate("local inbox = process.inbox(); return inbox:receive()", bindsProcess: false)
        #expect(unbound?.bindsReceive == false)
        #expect(code(unbound).contains("inbox:receive()"))
    }

    /// `msg:topic()` and `msg:from()` on what a rewritten receive gave become the accessors' calls, naming the
    /// variable as Lua's error would.
    @Test func accessorsOnTheReceivedMessageAreRewritten() {
        let text = code(translate("""
            local inbox = process.inbox()
            local msg = inbox:receive()
            local t = msg:topic()
            local function reply() return msg:from() end
            return t, reply()
            """))
        #expect(text.contains("local t = __wippy_topic(msg, \"local 'msg'\")"), "\(text)")
        #expect(text.contains("return __wippy_from(msg, \"upvalue 'msg'\")"), "\(text)")
    }

    @Test func accessorsOnAnythingElseKeepTheMethodCall() {
        let sources = [
            "local inbox = process.inbox(); local msg = inbox:receive(); msg = other; return msg:topic()",
            "local inbox = process.inbox(); local msg, ok = inbox:receive(); return msg:topic()",
            "local inbox = process.inbox(); local msg = inbox:receive() or x; return msg:topic()",
            "local inbox = process.inbox(); inbox = y; local msg = inbox:receive(); return msg:topic()",
            "local inbox = channel.new(); local msg = inbox:receive(); return process.pid(), msg:topic()",
            "local inbox = process.inbox(); local msg = inbox:receive(); return msg:topic(1)",
            "local inbox = process.inbox(); local msg = inbox:receive(); return msg\n:topic()",
            "local inbox = process.inbox(); local msg = inbox:receive():payload(); return msg:topic()",
        ]
        for source in sources {
            #expect(code(translate(source)).contains("msg:topic(") || code(translate(source)).contains("msg\n:topic("), "\(source)")
        }
    }
}

/// A statement that is only a call of `process.spawn` drops the PID the call returns: it becomes
/// `__wippy_spawn(...)` (same length, so no column moves), which the runtime binds to a spawn returning
/// nothing. Every other use of `process.spawn` keeps the call.
@Suite struct SpawnStatementRewriteTests {
    private func translate(_ source: String, bindsProcess: Bool = true) -> TypedLua.Module? {
        do {
            return try TypedLua.translateModule(Array(source.utf8), chunkName: "test.lua", bindsProcess: bindsProcess)
        } catch {
            Issue.record("unexpected syntax error: \(error)")
            return nil
        }
    }

    private func code(_ module: TypedLua.Module?) -> String { module.map { String(decoding: $0.code, as: UTF8.self) } ?? "" }

    /// Fails if a statement spawn is not rewritten, if its line changes length, or if the module does not say
    /// it needs the bindings (a chunk with no receive at all).
    @Test func aSpawnStatementIsRewritten() throws {
        let source = """
            local M = {}
            function M.main(n: integer)
                for i = 1, n do process.spawn("app:child", "app:processes", process.pid(), i) end
                if n > 0 then
                    process.spawn "app:other"
                end
            end
            return M
            """
        let module = try #require(translate(source))
        #expect(module.bindsReceive)
        let text = code(module)
        #expect(text.contains("    for i = 1, n do __wippy_spawn(\"app:child\", \"app:processes\", process.pid(), i) end"), "\(text)")
        #expect(text.contains("        __wippy_spawn \"app:other\""), "\(text)")
        #expect(!text.contains("process.spawn"), "\(text)")
        #expect(text.split(separator: "\n").count == source.split(separator: "\n").count)
    }

    /// Each keeps `process.spawn`: its result is used, it is another function, `process` is a local or is
    /// not only read, the text is spaced, the chunk names the binding, or the entry does not bind `process`.
    @Test func everyOtherSpawnKeepsTheCall() {
        let sources = [
            "local pid = process.spawn('a:b', 'h')",
            "return process.spawn('a:b', 'h')",
            "print(process.spawn('a:b', 'h'))",
            "local t = {process.spawn('a:b', 'h')}",
            "process.spawn_monitored('a:b', 'h')",
            "local process = {spawn = print}; process.spawn('a:b', 'h')",
            "process.spawn('a:b', 'h'); print(process)",
            "process . spawn('a:b', 'h')",
            "local __wippy_spawn = 1; process.spawn('a:b', 'h')",
            "process.spawn('a:b', 'h')('x')",
        ]
        for source in sources {
            let text = code(translate(source))
            #expect(!text.contains("__wippy_spawn("), "\(source) -> \(text)")
        }
        #expect(code(translate("process.spawn('a:b', 'h')", bindsProcess: false)) == "process.spawn('a:b', 'h')")
    }
}
