import WippyCore
public import WippyLua
public import WippyRuntime
import WippyResources

/// The `env` module (lua-api-io §8.1): reads and writes the declared `env.variable` entries through their
/// storages (``WippyResources/EnvRegistry``, found in the runtime's resource table).
///
/// - `env.get(name)` → `value` or `nil, err`: a variable's public name, an entry ID, or a bare name taken
///   in the caller's namespace; an empty stored value falls back to the default. Empty name ⇒ `INVALID`;
///   unknown, or no value and no default ⇒ `NOT_FOUND`. Answered from memory.
/// - `env.set(name, value)` → `true` or `nil, err`: read-only variable or storage ⇒ `PERMISSION_DENIED`.
///   A write to a file storage rewrites its `.env` file on the blocking pool, the process suspended meanwhile.
/// - `env.get_all()` → the raw contents of every storage, merged (defaults not included).
///
/// No permissions are checked yet (there is no security layer).
public struct EnvModule: LuaModule {
    public let name = "env"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.setFunctions([("get", Self.get), ("set", Self.set), ("get_all", Self.getAll)], in: -1)
    }

    /// The committed catalog, or `NotFound`-free emptiness when the runtime has no env registry.
    static func catalog(_ worker: LuaWorkerState) -> EnvCatalog {
        (worker.runtime.resources.current(EnvRegistry.tableID) as? EnvRegistry)?.catalog ?? EnvCatalog()
    }

    static func callerNamespace(_ lua: Lua) -> String? {
        LuaProcess.current(lua)?.program.entryID.namespace
    }

    /// The text argument at `index` (numbers coerced), or nil after raising for another type.
    static func text(_ lua: Lua, _ index: Int32) -> String? {
        switch lua.type(at: index) {
        case .string, .number: return lua.stringCoercing(at: index)
        default: return nil
        }
    }

    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let name = text(lua, 1) else { return lua.typeError(1, expected: "string") }
        do throws(WippyError) {
            lua.push(try catalog(worker).get(name, namespace: callerNamespace(lua)))
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    static let set: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let name = text(lua, 1) else { return lua.typeError(1, expected: "string") }
        guard let value = text(lua, 2) else { return lua.typeError(2, expected: "string") }
        let namespace = callerNamespace(lua)
        let catalog = catalog(worker)
        // A file storage writes its file: off the worker. The others only touch memory.
        var writesFile = false
        if !name.isEmpty, let variable = catalog.variable(named: name, namespace: namespace), !variable.readOnly,
            let storage = try? catalog.writable(storage: variable.storage)
        {
            writesFile = storage is FileEnvStorage
        }
        guard writesFile, let task = LuaTask.current(lua) else {
            do throws(WippyError) {
                try catalog.set(name, value, namespace: namespace)
                lua.push(true)
                return 1
            } catch {
                return worker.fail(error, on: lua)
            }
        }
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) in
            try catalog.set(name, value, namespace: namespace)
        } resume: { thread, result in
            switch result {
            case .success:
                thread.push(true)
                return 1
            case .failure(let error):
                return worker.fail(error, on: thread)
            }
        }
    }

    static let getAll: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        let values = catalog(worker).all()
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(min(values.count, 1 << 16)))
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
        return 1
    }
}
