public import WippyLua

/// The value a chunk that binds `process` (``LuaProgram/bindsProcess``) receives as its second argument.
extension LuaWorkerState {
    /// Pushes on `target` what `process` is bound to for a chunk whose environment is at `env`: the value the
    /// environment gives for `process` (raw lookups along its `__index` tables, as a global read finds it),
    /// or, when that is a read-only proxy (the `process` module), one plain table per worker with the same
    /// fields. The translator proved the chunk only reads fields of it, so the plain table is never seen as
    /// a value and never written; reading a field of it is a hit where the proxy takes a miss. In a workflow
    /// run (`deterministic`) the value is passed as it is.
    func pushProcessBinding(environmentAt env: Int32, deterministic: Bool, on target: Lua) {
        assertOnWorker()
        let environment = target.absolute(env)
        _ = target.ensureStack(6)
        target.pushValue(at: environment)
        var found = false
        // the chain is the environment, the entry scope and the base: the bound only guards against a cycle
        for _ in 0..<8 {
            let scope = target.top
            if target.rawGet(scope, key: "process") != .nil {
                target.replace(at: scope)
                found = true
                break
            }
            target.pop()
            guard target.getMetatable(scope), target.rawGet(-1, key: "__index") == .table else {
                target.top = scope
                break
            }
            target.replace(at: scope)
            target.top = scope
        }
        guard found else {
            target.pop()
            target.pushNil()
            return
        }
        guard !deterministic, target.type(at: -1) == .table else { return }
        let proxy = target.top
        if !plainCopiesRef.isValid {
            lua.newTable()
            plainCopiesRef = lua.ref()
        }
        target.push(plainCopiesRef)
        let copies = target.top
        target.pushValue(at: proxy)
        if target.rawGet(copies) == .table {
            // [proxy, copies, copy]
            target.replace(at: proxy)
            target.top = proxy
            return
        }
        target.pop()
        guard pushReadOnlyContents(of: proxy, on: target) else {
            target.top = proxy
            return
        }
        // [proxy, copies, contents]: a shallow copy (nested tables are read-only proxies of their own)
        let contents = target.top
        // Sized for every field, with `send` set first: Lua's string hash is seeded per state, so which keys
        // share a slot changes from run to run, and a key that finds its slot taken is chained behind the
        // first one there. Set first in a table that never grows, `send` (read on nearly every message)
        // always sits in its own slot; otherwise some runs paid a walk along a chain on each `process.send`
        // (10 to 20 instructions per message in a ring, about 1 %, depending on the run).
        var fields: Int32 = 0
        target.pushNil()
        while target.next(contents) {
            target.pop()
            fields += 1
        }
        target.newTable(arrayCapacity: 0, fieldCapacity: fields)
        let copy = target.top
        if target.rawGet(contents, key: "send") != .nil {
            target.rawSet(copy, key: "send")
        } else {
            target.pop()
        }
        target.rawCopyFields(from: contents, to: copy)
        target.pushValue(at: proxy)
        target.pushValue(at: copy)
        target.rawSet(copies)
        target.replace(at: proxy)
        target.top = proxy
    }

    /// Pushes on `target` what `__wippy_receive`, `__wippy_topic`, `__wippy_from` and `__wippy_spawn` are bound
    /// to for a chunk whose `inbox:receive()`, `msg:topic()`, `msg:from()` calls and `process.spawn(...)`
    /// statements the translator rewrote (``LuaProgram/bindsReceive``): the channels' own `receive` (`process`
    /// is the module, so the local holds its inbox channel), the message accessors that raise Lua's index
    /// error for the nil a closed inbox gives, and the spawn that returns nothing (the statement drops the
    /// PID: ``ProcessNatives/quietSpawn``). In a workflow run (`deterministic`, where `process` is passed as
    /// it is) Lua functions making the original calls instead, as the code did before the rewrite;
    /// `processAt` is the chunk's `process` binding, which the spawn one calls through. Returns how many it
    /// pushed (4).
    func pushReceiveBinding(deterministic: Bool, processAt processIndex: Int32, on target: Lua) -> Int32 {
        assertOnWorker()
        let process = target.absolute(processIndex)
        _ = target.ensureStack(5)
        if deterministic {
            if !methodCallsRef.isValid {
                let source = Array("""
                    return function(ch) return ch:receive() end, function(m) return m:topic() end,
                        function(m) return m:from() end, function(p) return function(...) return p.spawn(...) end end
                    """.utf8)
                if let error = lua.load(source, name: "=receive") ?? lua.protectedCall(arguments: 0, results: 4) {
                    fatalError("the method call wrappers do not load: \(error.message)")
                }
                lua.newTable(arrayCapacity: 4, fieldCapacity: 0)
                lua.insert(at: -5)
                // [table, receive, topic, from, spawn]: the last one is the table's fourth, then its third...
                for index in (1...4).reversed() { lua.rawSet(-Int32(index) - 1, index: Int64(index)) }
                methodCallsRef = lua.ref()
            }
            target.push(methodCallsRef)
            for index in 1...4 { target.rawGet(-Int32(index), index: Int64(index)) }
            // [table, receive, topic, from, factory]: the spawn wrapper closes over this chunk's `process`
            target.pushValue(at: process)
            if let error = target.protectedCall(arguments: 1, results: 1) {
                fatalError("the spawn wrapper cannot be made: \(error.message)")
            }
            target.remove(at: -5)
            return 4
        }
        pushMetatable(.channel, on: target)
        guard target.type(at: -1) == .table, target.rawGet(-1, key: "__index") == .table else {
            fatalError("channels have no methods table")
        }
        target.rawGet(-1, key: "receive")
        target.replace(at: -3)
        target.pop()
        target.pushMessageFunction(1, tag: UserdataTag.message.rawValue)
        target.pushMessageFunction(2, tag: UserdataTag.message.rawValue)
        target.push(native: ProcessNatives.quietSpawn)
        return 4
    }
}
