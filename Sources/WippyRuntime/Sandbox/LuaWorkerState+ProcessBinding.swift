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
        target.newTable()
        let copy = target.top
        target.pushNil()
        while target.next(contents) {
            target.pushValue(at: -2)
            target.insert(at: -2)
            target.rawSet(copy)
        }
        target.pushValue(at: proxy)
        target.pushValue(at: copy)
        target.rawSet(copies)
        target.replace(at: proxy)
        target.top = proxy
    }

    /// Pushes on `target` what `__wippy_receive` is bound to for a chunk whose `inbox:receive()` calls the
    /// translator rewrote (``LuaProgram/bindsReceive``): the channels' own `receive`, since `process` is the
    /// module and the local holds its inbox channel. In a workflow run (`deterministic`, where `process` is
    /// passed as it is) a Lua function making the method call instead: the same as the code before the
    /// rewrite.
    func pushReceiveBinding(deterministic: Bool, on target: Lua) {
        assertOnWorker()
        _ = target.ensureStack(3)
        if deterministic {
            if !methodReceiveRef.isValid {
                let source = Array("return function(ch) return ch:receive() end".utf8)
                if let error = lua.load(source, name: "=receive") ?? lua.protectedCall(arguments: 0, results: 1) {
                    fatalError("the receive wrapper does not load: \(error.message)")
                }
                methodReceiveRef = lua.ref()
            }
            target.push(methodReceiveRef)
            return
        }
        pushMetatable(.channel, on: target)
        guard target.type(at: -1) == .table, target.rawGet(-1, key: "__index") == .table else {
            fatalError("channels have no methods table")
        }
        target.rawGet(-1, key: "receive")
        target.replace(at: -3)
        target.pop()
    }
}
