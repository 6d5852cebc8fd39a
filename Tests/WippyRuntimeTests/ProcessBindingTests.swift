import Testing
import WippyCore
import WippyRuntime
import WippyTypedLua

/// A chunk the translator proved to read only fields of `process` (``LuaProgram/bindsProcess``) gets
/// `process` as a local bound to a plain per-worker copy of the read-only module: same fields, no `__index`
/// miss per read.
@Suite struct ProcessBindingTests {
    private func install(_ id: String, source: String, kind: LuaEntryKind = .process, bound: Bool, imports: [(String, String)] = [], on node: LuaTestNode) -> LuaProgram {
        let program = LuaProgram(
            entryID: EntryID(parsing: id), kind: kind, translatedSource: Array(source.utf8),
            method: kind == .library ? nil : "main", modules: [],
            imports: imports.map { ($0.0, EntryID(parsing: $0.1)) }, sourceFile: nil, readsProcessFieldsOnly: bound)
        node.runtime.install(program)
        return program
    }

    /// The code below passes `process` to `getmetatable`, which the translator would refuse: the test builds
    /// the program directly to look at what the local holds. Fails if the local is the read-only proxy (it
    /// has a protected metatable, so `getmetatable` gives false), if it is missing (nil: the second chunk
    /// argument not passed), or if a field differs from the module's.
    static let probe = """
        return { main = function()
            local plain = getmetatable(process) == nil
            local same = process.send == require("process").send and process.pid == require("process").pid
            local inbox = process.inbox()
            process.send(process.pid(), "t", 42)
            local msg = inbox:receive()
            return tostring(plain) .. "," .. tostring(same) .. "," .. msg:topic() .. "," .. tostring(msg:payload():data())
        end }
        """

    @Test func aBoundChunkReadsThePlainCopy() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let program = install("test:bound", source: Self.probe, bound: true, on: node)
        #expect(program.bindsProcess)
        // twice: the second process finds the worker's copy made for the first
        for _ in 0..<2 {
            let result = await node.run("test:bound")
            #expect(result?.text == "true,true,t,42")
        }
    }

    /// Unbound code (the default) still reads the global, the read-only proxy.
    @Test func anUnboundChunkReadsTheProxy() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let program = install("test:unbound", source: Self.probe, bound: false, on: node)
        #expect(!program.bindsProcess)
        let result = await node.run("test:unbound")
        #expect(result?.text == "false,true,t,42")
    }

    /// Libraries get no `process`; an import named `process` is what the global means there; workflows'
    /// `process` is the workflow's. None of them is bound, whatever the translator found.
    @Test func onlyProcessAndFunctionEntriesWithoutAProcessImportAreBound() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        #expect(install("test:f", source: "return {}", kind: .function, bound: true, on: node).bindsProcess)
        #expect(!install("test:lib", source: "return {}", kind: .library, bound: true, on: node).bindsProcess)
        #expect(!install("test:wf", source: "return {}", kind: .workflow, bound: true, on: node).bindsProcess)
        #expect(!install("test:imp", source: "return {}", bound: true, imports: [("process", "test:lib")], on: node).bindsProcess)
    }
}

/// An entry whose `inbox:receive()` the translator rewrote gets the channels' `receive` as its third chunk
/// argument (``LuaProgram/bindsReceive``).
@Suite struct ReceiveBindingTests {
    static let source = """
        return { main = function()
            local inbox = process.inbox()
            process.send(process.pid(), "a", 1)
            process.send(process.pid(), "b", 2)
            local first = inbox:receive()
            local second = inbox:receive()
            return first:topic() .. second:topic() .. tostring(first:payload():data() + second:payload():data())
                .. tostring(first:from() == process.pid())
        end }
        """

    /// `msg:topic()` on the nil a closed inbox gives: the rewritten call raises the error text the method call
    /// raised (the variable's name and kind, at the same line). Fails if the texts differ or if the code was
    /// not rewritten.
    static let closed = """
        return { main = function()
            local inbox = process.inbox()
            inbox:close()
            local msg = inbox:receive()
            local ok, err = pcall(function() return msg:topic() end)
            local ok2, err2 = pcall(function() local m = msg; return msg:from() end)
            return tostring(err) .. "|" .. tostring(err2)
        end }
        """

    @Test func anAccessorOnNilRaisesWhatTheMethodCallRaised() async throws {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let module = try TypedLua.translateModule(Array(Self.closed.utf8), chunkName: "t.lua", bindsProcess: true)
        #expect(String(decoding: module.code, as: UTF8.self).contains("__wippy_topic(msg"))
        let rewritten = LuaProgram(
            entryID: EntryID(parsing: "test:closed"), kind: .process, translatedSource: module.code, method: "main",
            modules: [], imports: [], sourceFile: nil, readsProcessFieldsOnly: true, bindsReceive: module.bindsReceive)
        let plain = LuaProgram(
            entryID: EntryID(parsing: "test:closed_plain"), kind: .process, translatedSource: Array(Self.closed.utf8),
            method: "main", modules: [], imports: [], sourceFile: nil)
        node.runtime.install(rewritten)
        node.runtime.install(plain)
        let expected = await node.run("test:closed_plain")
        let got = await node.run("test:closed")
        #expect(expected?.text.contains("attempt to index a nil value (upvalue 'msg')") == true, "\(expected.text)")
        #expect(got?.text.replacing("test:closed:", with: "") == expected?.text.replacing("test:closed_plain:", with: ""))
    }

    /// Fails if the rewrite is not made (the program would not say it binds), if the third argument is not
    /// passed (a call of nil), or if it is not a working receive.
    @Test func aRewrittenReceiveTakesTheMessagesInOrder() async throws {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let module = try TypedLua.translateModule(Array(Self.source.utf8), chunkName: "t.lua", bindsProcess: true)
        #expect(module.bindsReceive)
        let program = LuaProgram(
            entryID: EntryID(parsing: "test:recv"), kind: .process, translatedSource: module.code, method: "main",
            modules: [], imports: [], sourceFile: nil, readsProcessFieldsOnly: module.readsProcessFieldsOnly,
            bindsReceive: module.bindsReceive)
        #expect(program.bindsReceive)
        node.runtime.install(program)
        for _ in 0..<2 {
            let result = await node.run("test:recv")
            #expect(result?.text == "ab3true")
        }
    }
}

/// An entry whose `process.spawn(...)` statements the translator rewrote gets a spawn returning nothing as its
/// sixth chunk argument (``LuaProgram/bindsReceive``).
@Suite struct SpawnStatementBindingTests {
    static let child = """
        return { main = function(parent, i) process.send(parent, "up", i) end }
        """

    /// Spawns 300 children by statement (more than a starter pool held before: the pooled starters must
    /// each carry their own child's arguments), one statement spawn that fails (an unknown entry: nothing is
    /// raised, as when the result was dropped), then a spawn whose PID is kept. Fails if the code is not
    /// rewritten, if `__wippy_spawn` is not bound (a call of nil) or is not a spawn, if a child gets another's
    /// argument, or if the kept spawn's PID is not the child's.
    static let parent = """
        return { main = function()
            local me = process.pid()
            local inbox = process.inbox()
            for i = 1, 300 do process.spawn("test:child", "app:processes", me, i) end
            process.spawn("test:nowhere", "app:processes", me, 0)
            local sum, count = 0, 0
            for _ = 1, 300 do
                local msg = inbox:receive()
                sum = sum + msg:payload():data()
                count = count + 1
            end
            local pid = process.spawn("test:child", "app:processes", me, 7)
            local msg = inbox:receive()
            return tostring(count) .. "," .. tostring(sum) .. "," .. tostring(msg:from() == pid)
        end }
        """

    @Test func aSpawnStatementSpawnsEachChildWithItsArguments() async throws {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let module = try TypedLua.translateModule(Array(Self.parent.utf8), chunkName: "t.lua", bindsProcess: true)
        let code = String(decoding: module.code, as: UTF8.self)
        #expect(code.contains("__wippy_spawn(\"test:child\""), "\(code)")
        #expect(code.contains("local pid = process.spawn("), "\(code)")
        let program = LuaProgram(
            entryID: EntryID(parsing: "test:parent"), kind: .process, translatedSource: module.code, method: "main",
            modules: [], imports: [], sourceFile: nil, readsProcessFieldsOnly: module.readsProcessFieldsOnly,
            bindsReceive: module.bindsReceive)
        #expect(program.bindsReceive)
        node.runtime.install(program)
        node.runtime.install(LuaProgram(
            entryID: EntryID(parsing: "test:child"), kind: .process, translatedSource: Array(Self.child.utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: true))
        let result = await node.run("test:parent")
        #expect(result?.text == "300,45150,true", "\(String(describing: result))")
    }
}
