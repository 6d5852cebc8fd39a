public import WippyLua

/// Building the shared, read-only sandbox: the subset of the standard library Wippy gives every process.
extension LuaWorkerState {
    static let baseFunctions = [
        "assert", "error", "getmetatable", "ipairs", "pairs", "pcall", "rawequal", "select", "tonumber",
        "tostring", "type", "xpcall",
    ]
    static let stringFunctions = [
        "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "pack", "packsize", "rep",
        "reverse", "sub", "unpack", "upper",
    ]
    static let tableFunctions = ["concat", "insert", "remove", "sort", "unpack"]
    static let mathFunctions = [
        "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "log", "max", "min", "modf",
        "rad", "random", "sin", "sqrt", "tan", "tointeger", "type", "ult", "pi", "huge", "maxinteger",
        "mininteger",
    ]
    static let osFunctions = ["difftime"]

    func buildSandbox() {
        _ = OSNatives.start
        let lua = self.lua
        // Set of read-only tables (weak keys), checked by the guarded rawset.
        lua.newTable()
        lua.newTable()
        lua.push("k")
        lua.rawSet(-2, key: "__mode")
        lua.setMetatable(-2)
        readOnlySetRef = lua.ref()

        lua.pushGlobals()
        let globals = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: 40)
        let base = lua.top

        copy(Self.baseFunctions, from: globals, to: base)
        lua.push("Lua 5.3 - Wippy Modification")
        lua.rawSet(base, key: "_VERSION")
        // Lua 5.1 leftover: global unpack.
        lua.rawGet(globals, key: "table")
        lua.rawGet(-1, key: "unpack")
        lua.rawSet(base, key: "unpack")
        lua.pop()

        // rawget and next that see the contents of frozen tables.
        lua.push(native: SandboxNatives.rawget)
        lua.rawSet(base, key: "rawget")
        lua.rawGet(globals, key: "next")
        lua.push(native: SandboxNatives.next, upvalues: 1)
        lua.rawSet(base, key: "next")

        // rawset that refuses read-only tables.
        lua.push(readOnlySetRef)
        lua.push(native: SandboxNatives.rawset, upvalues: 1)
        lua.rawSet(base, key: "rawset")

        // setmetatable without __gc: a finalizer would run on whichever process triggers the collection.
        lua.push(native: SandboxNatives.setmetatable)
        lua.rawSet(base, key: "setmetatable")

        // print writes a log record.
        lua.push(native: SandboxNatives.print)
        lua.rawSet(base, key: "print")

        // string
        library("string", Self.stringFunctions, from: globals, into: base) { table in
            lua.rawGet(table, key: "gmatch")
            lua.rawSet(table, key: "gfind")
            lua.push(native: SandboxNatives.stringDump)
            lua.rawSet(table, key: "dump")
        }
        // the string metatable: methods through the read-only proxy, and the metatable itself protected
        lua.push("")
        if lua.getMetatable(-1) {
            lua.rawGet(base, key: "string")
            lua.rawSet(-2, key: "__index")
            lua.newTable()
            lua.rawGet(base, key: "string")
            lua.rawSet(-2, key: "__index")
            makeReadOnly()
            lua.rawSet(-2, key: "__metatable")
            lua.pop()
        }
        lua.pop()

        // table
        library("table", Self.tableFunctions, from: globals, into: base) { table in
            lua.push(native: SandboxNatives.tableGetn)
            lua.rawSet(table, key: "getn")
            lua.push(native: SandboxNatives.tableMaxn)
            lua.rawSet(table, key: "maxn")
            lua.push(native: SandboxNatives.tableCreate)
            lua.rawSet(table, key: "create")
            lua.push(readOnlySetRef)
            lua.push(native: SandboxNatives.tableFreeze, upvalues: 1)
            lua.rawSet(table, key: "freeze")
            lua.push(readOnlySetRef)
            lua.push(native: SandboxNatives.tableIsFrozen, upvalues: 1)
            lua.rawSet(table, key: "isfrozen")
        }

        // math, with the Lua 5.1 leftovers and a randomseed that ignores its arguments
        library("math", Self.mathFunctions, from: globals, into: base) { table in
            lua.push(native: SandboxNatives.mathPow)
            lua.rawSet(table, key: "pow")
            lua.rawGet(table, key: "fmod")
            lua.rawSet(table, key: "mod")
            lua.push(native: SandboxNatives.mathLog10)
            lua.rawSet(table, key: "log10")
            lua.rawGet(table, key: "atan")
            lua.rawSet(table, key: "atan2")
            lua.push(native: SandboxNatives.mathLdexp)
            lua.rawSet(table, key: "ldexp")
            lua.push(native: SandboxNatives.mathFrexp)
            lua.rawSet(table, key: "frexp")
            lua.push(native: SandboxNatives.mathCosh)
            lua.rawSet(table, key: "cosh")
            lua.push(native: SandboxNatives.mathSinh)
            lua.rawSet(table, key: "sinh")
            lua.push(native: SandboxNatives.mathTanh)
            lua.rawSet(table, key: "tanh")
            lua.push(native: SandboxNatives.noop)
            lua.rawSet(table, key: "randomseed")
        }

        // os: the time subset only
        library("os", Self.osFunctions, from: globals, into: base) { table in
            for (name, native) in [("time", OSNatives.time), ("date", OSNatives.date), ("clock", OSNatives.clock)]
                as [(String, LuaNativeFunction)]
            {
                lua.push(native: native)
                lua.rawSet(table, key: name)
            }
            lua.push("wippy")
            lua.rawSet(table, key: "platform")
        }

        // coroutine: resume/wrap that let blocking calls inside user coroutines suspend the whole task
        library("coroutine", ["yield", "running"], from: globals, into: base) { table in
            lua.pushCoroutineCreate()
            lua.rawSet(table, key: "create")
            lua.pushCoroutineStatus()
            lua.rawSet(table, key: "status")
            lua.pushCoroutineResume()
            lua.rawSet(table, key: "resume")
            lua.pushCoroutineWrap()
            lua.rawSet(table, key: "wrap")
            lua.push(native: ProcessNatives.spawnCoroutine)
            lua.rawSet(table, key: "spawn")
        }

        // package: a frozen stub
        lua.newTable()
        lua.push("")
        lua.rawSet(-2, key: "path")
        lua.push("")
        lua.rawSet(-2, key: "cpath")
        lua.push(native: SandboxNatives.loadlib)
        lua.rawSet(-2, key: "loadlib")
        lua.push(native: SandboxNatives.noop)
        lua.rawSet(-2, key: "seeall")
        makeReadOnly()
        lua.rawSet(base, key: "package")

        // errors, channel, payload, subscribe/unsubscribe
        installErrorsLibrary(into: base)
        installChannelLibrary(into: base)
        installPayloadLibrary(into: base)

        lua.pushValue(at: base)
        baseRef = lua.ref()
        lua.top = globals - 1
    }

    /// Copies `names` from `globals[name]` into a new table, lets `extend` add to it, then stores a read-only
    /// proxy of it in `base[name]`.
    private func library(
        _ name: String, _ names: [String], from globals: Int32, into base: Int32, extend: (Int32) -> Void
    ) {
        let lua = self.lua
        lua.rawGet(globals, key: name)
        let source = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(names.count + 8))
        let table = lua.top
        copy(names, from: source, to: table)
        extend(table)
        makeReadOnly()
        lua.rawSet(base, key: name)
        lua.pop()  // source
    }

    private func copy(_ names: [String], from source: Int32, to target: Int32) {
        for name in names {
            lua.rawGet(source, key: name)
            lua.rawSet(target, key: name)
        }
    }

    /// Replaces the table on top of the main stack with a read-only proxy of it.
    ///
    /// The proxy is empty; reads go through `__index`, writes raise, `pairs` and `#` see the real table, and
    /// `getmetatable` returns false so the metatable cannot be reached or changed.
    public func makeReadOnly() {
        let lua = self.lua
        let real = lua.top
        lua.newTable()
        let proxy = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: 5)
        let meta = lua.top
        lua.pushValue(at: real)
        lua.rawSet(meta, key: "__index")
        lua.push(native: SandboxNatives.readOnlyWrite)
        lua.rawSet(meta, key: "__newindex")
        lua.pushValue(at: real)
        lua.push(native: SandboxNatives.readOnlyPairs, upvalues: 1)
        lua.rawSet(meta, key: "__pairs")
        lua.pushValue(at: real)
        lua.push(native: SandboxNatives.readOnlyLength, upvalues: 1)
        lua.rawSet(meta, key: "__len")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        lua.setMetatable(proxy)
        // remember it as read-only
        lua.push(readOnlySetRef)
        lua.pushValue(at: proxy)
        lua.push(true)
        lua.rawSet(-3)
        lua.pop()
        lua.replace(at: real)
    }

    /// If the table at `index` is read-only (a frozen table or a library proxy), pushes the table holding its
    /// contents and returns true; otherwise pushes nothing and returns false.
    public func pushReadOnlyContents(of index: Int32, on lua: Lua) -> Bool {
        let table = lua.absolute(index)
        lua.push(readOnlySetRef)
        lua.pushValue(at: table)
        let readOnly = lua.rawGet(-2) != .nil
        lua.pop(2)
        guard readOnly, lua.getMetatable(table) else { return false }
        guard lua.rawGet(-1, key: "__index") == .table else {
            lua.pop(2)
            return false
        }
        lua.remove(at: -2)
        return true
    }

    /// Builds the metatable of instance environments of `program`: `__index` is the entry scope (modules,
    /// `require`, `process`), whose own misses fall through to the shared base (the workflow base when
    /// `deterministic`).
    func buildEnvironmentMetatable(for program: LuaProgram, deterministic: Bool = false) {
        let lua = self.lua
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(program.modules.count + 3))
        let scope = lua.top
        for name in program.modules {
            if pushModule(name, on: lua) { lua.rawSet(scope, key: name) }
        }
        if program.kind.isExecutable {
            if pushModule("process", on: lua) { lua.rawSet(scope, key: "process") }
        }
        lua.push(native: SandboxNatives.require)
        lua.rawSet(scope, key: "require")
        lua.newTable()
        if deterministic { pushWorkflowBase() } else { lua.push(baseRef) }
        lua.rawSet(-2, key: "__index")
        lua.setMetatable(scope)

        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.pushValue(at: scope)
        lua.rawSet(-2, key: "__index")
        lua.push(false)
        lua.rawSet(-2, key: "__metatable")
        if deterministic {
            workflowEnvironmentMetatables[program.serial] = lua.ref()
        } else {
            environmentMetatables[program.serial] = lua.ref()
        }
        lua.pop()  // scope
    }
}
