import WippyCore
import WippyLua

/// `process.with_context`, `process.with_options` and the methods of Spawner objects (lua-api-core §6.5).
///
/// A Spawner is a userdata holding a retained, immutable ``Spawner``; each builder method returns a new one.
/// Misuse raises (wrong types, non-string keys, values that cannot be sent, `@` topics); the spawn methods
/// return `pid | nil, err` like `process.spawn`.
extension ProcessNatives {
    static let spawnerMethods: [(String, LuaNativeFunction)] = [
        ("with_context", spawnerWithContext), ("with_options", spawnerWithOptions), ("with_name", spawnerWithName),
        ("with_message", spawnerWithMessage), ("spawn", spawnerSpawn), ("spawn_monitored", spawnerSpawnMonitored),
        ("spawn_linked", spawnerSpawnLinked), ("spawn_linked_monitored", spawnerSpawnLinkedMonitored),
        ("exec", spawnerExec),
    ]

    /// Registers the Spawner metatable of this worker (from the `process` module's load).
    static func registerSpawnerType(_ state: LuaWorkerState) {
        let lua = state.lua
        lua.newTable()
        let meta = lua.top
        lua.newTable()
        for (name, native) in spawnerMethods {
            lua.push(native: native)
            lua.rawSet(-2, key: name)
        }
        lua.rawSet(meta, key: "__index")
        lua.push(native: collectSpawner)
        lua.rawSet(meta, key: "__gc")
        lua.push("process.Spawner")
        lua.rawSet(meta, key: "__name")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        state.registerMetatable(.spawner, from: lua)
    }

    static func push(_ spawner: Spawner, state: LuaWorkerState, on lua: Lua) {
        let memory = lua.newTaggedUserdata(.spawner, size: MemoryLayout<UnsafeMutableRawPointer?>.size)
        memory.storeBytes(of: Unmanaged.passRetained(spawner).toOpaque(), as: UnsafeMutableRawPointer?.self)
        state.pushMetatable(.spawner, on: lua)
        lua.setMetatable(-2)
    }

    static func spawner(at index: Int32, in lua: Lua) -> Spawner? {
        guard let memory = lua.taggedUserdata(at: index, .spawner),
            let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return nil }
        return Unmanaged<Spawner>.fromOpaque(raw).takeUnretainedValue()
    }

    static let collectSpawner: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, .spawner), let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return 0 }
        memory.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<Spawner>.fromOpaque(raw).release()
        return 0
    }

    /// The string-keyed entries of the table at `index`, copied out of Lua; a status to return (raising) when
    /// a key is not a string or a value cannot be sent.
    static func stringKeyedValues(_ lua: Lua, at index: Int32, what: String, state: LuaWorkerState) -> Result<[String: Payload], EarlyStatus> {
        guard lua.type(at: index) == .table else { return .failure(EarlyStatus(lua.typeError(index, expected: "table"))) }
        var values: [String: Payload] = [:]
        let table = lua.absolute(index)
        lua.pushNil()
        while lua.next(table) {
            guard lua.type(at: -2) == .string, let key = lua.string(at: -2) else {
                return .failure(EarlyStatus(lua.raise("\(what) keys must be strings, got \(lua.typeName(at: -2))")))
            }
            do throws(UnsendableValue) {
                values[key] = try LuaValueConverter.export(at: -1, in: lua, state: state)
            } catch {
                return .failure(EarlyStatus(lua.raise(error.error(root: "\(what).\(key)").message)))
            }
            lua.pop()
        }
        return .success(values)
    }

    /// Options a spawner checks when they are given (so a bad one fails at `with_options`, not at spawn):
    /// `memory_limit`, a size (`16M`) or bytes, 0 for none.
    static func checkOptions(_ values: [String: Payload], on lua: Lua) -> EarlyStatus? {
        guard let limit = values["memory_limit"] else { return nil }
        do throws(WippyError) {
            _ = try MemorySize.processLimit(limit, name: "options.memory_limit")
            return nil
        } catch {
            return EarlyStatus(lua.raise(error.message))
        }
    }

    struct EarlyStatus: Error {
        let status: Int32
        init(_ status: Int32) { self.status = status }
    }

    // MARK: - Builders

    /// `process.with_context(values)`: a Spawner whose children get the caller's context with `values` over it.
    static let withContext: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        switch stringKeyedValues(lua, at: 1, what: "context", state: process.workerState) {
        case .failure(let early): return early.status
        case .success(let values):
            push(Spawner(context: process.context.merging(values)), state: process.workerState, on: lua)
            return 1
        }
    }

    /// `process.with_options(options)`: a Spawner with the caller's context and these options.
    static let withOptions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        switch stringKeyedValues(lua, at: 1, what: "options", state: process.workerState) {
        case .failure(let early): return early.status
        case .success(let values):
            if let early = checkOptions(values, on: lua) { return early.status }
            push(Spawner(context: process.context, options: values), state: process.workerState, on: lua)
            return 1
        }
    }

    /// Runs `body` with the Spawner at index 1 (raising for anything else).
    private static func withSpawner(_ lua: Lua, _ body: (Spawner, LuaWorkerState) -> Int32) -> Int32 {
        guard let spawner = spawner(at: 1, in: lua) else { return lua.typeError(1, expected: "process.Spawner") }
        return body(spawner, LuaWorkerState.of(lua))
    }

    static let spawnerWithContext: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSpawner(lua) { spawner, worker in
            switch stringKeyedValues(lua, at: 2, what: "context", state: worker) {
            case .failure(let early): return early.status
            case .success(let values):
                push(spawner.with(context: spawner.context.merging(values)), state: worker, on: lua)
                return 1
            }
        }
    }

    /// `sp:with_options(options)`: merged into the options it has.
    static let spawnerWithOptions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSpawner(lua) { spawner, worker in
            switch stringKeyedValues(lua, at: 2, what: "options", state: worker) {
            case .failure(let early): return early.status
            case .success(let values):
                if let early = checkOptions(values, on: lua) { return early.status }
                push(spawner.with(options: spawner.options.merging(values) { $1 }), state: worker, on: lua)
                return 1
            }
        }
    }

    static let spawnerWithName: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSpawner(lua) { spawner, worker in
            guard lua.type(at: 2) == .string, let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            if name.isEmpty { return lua.argumentError(2, "name cannot be empty") }
            push(spawner.with(name: name), state: worker, on: lua)
            return 1
        }
    }

    /// `sp:with_message(topic, ...)`: queued for the child, delivered before anything else reaches it.
    static let spawnerWithMessage: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSpawner(lua) { spawner, worker in
            guard let topic = lua.stringCoercing(at: 2) else { return lua.typeError(2, expected: "string") }
            if topic.hasPrefix("@") { return lua.raise("cannot send to @ topics") }
            switch LuaValueConverter.export(from: 3, to: lua.top, in: lua, state: worker) {
            case .failure(let error): return lua.raise(error.message)
            case .success(let payloads):
                push(spawner.with(message: (topic, payloads)), state: worker, on: lua)
                return 1
            }
        }
    }

    // MARK: - Spawning

    private static func spawnerSpawn(_ lua: Lua, function: String, monitor: Bool, link: Bool) -> Int32 {
        guard let spawner = spawner(at: 1, in: lua) else { return lua.typeError(1, expected: "process.Spawner") }
        guard let (task, process) = context(lua) else { return noProcess(lua) }
        let top = lua.top
        guard top >= 3, lua.type(at: 2) == .string, lua.type(at: 3) == .string else {
            return lua.raise("\(function) requires at least id and host arguments")
        }
        switch process.spawnTarget(idAt: 2, hostAt: 3, in: lua) {
        case .success(let target):
            var arguments: [Payload] = []
            if top > 3 {
                switch LuaValueConverter.export(from: 4, to: top, in: lua, state: process.workerState) {
                case .success(let values): arguments = values
                case .failure(let error): return process.workerState.fail(error, on: lua)
                }
            }
            if let session = process.workflow {
                if link { return refuseLinkInWorkflow(lua, process) }
                return session.spawnChild(
                    task, from: lua, program: target.program, host: target.host, arguments: arguments, spawner: spawner, wait: false)
            }
            if let status = WorkflowSpawn.spawnIfWorkflow(
                lua, process: process, target: target, arguments: arguments, monitor: monitor, link: link, spawner: spawner)
            {
                return status
            }
            lua.push(pid: process.spawn(target, arguments: arguments, monitor: monitor, link: link, spawner: spawner))
            return 1
        case .failure(let error):
            return process.workerState.fail(error, on: lua)
        }
    }

    static let spawnerSpawn: LuaNativeFunction = { spawnerSpawn(Lua($0!), function: "spawn", monitor: false, link: false) }
    static let spawnerSpawnMonitored: LuaNativeFunction = {
        spawnerSpawn(Lua($0!), function: "spawn_monitored", monitor: true, link: false)
    }
    static let spawnerSpawnLinked: LuaNativeFunction = {
        spawnerSpawn(Lua($0!), function: "spawn_linked", monitor: false, link: true)
    }
    static let spawnerSpawnLinkedMonitored: LuaNativeFunction = {
        spawnerSpawn(Lua($0!), function: "spawn_linked_monitored", monitor: true, link: true)
    }

    /// `sp:exec(id, host, ...)`: `process.exec` with the Spawner's context, options and messages.
    static let spawnerExec: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let spawner = spawner(at: 1, in: lua) else { return lua.typeError(1, expected: "process.Spawner") }
        if spawner.name != nil { return lua.raise("exec cannot be combined with with_name") }
        return exec(lua, first: 2, spawner: spawner)
    }
}
