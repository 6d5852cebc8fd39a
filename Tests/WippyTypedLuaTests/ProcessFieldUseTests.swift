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
