import WippyCore
import WippyLua
import WippyRuntime

/// The operations a Changes object has collected.
final class ChangeList {
    var changes: [RegistryChange] = []
}

/// Changes objects (`snap:changes()`): a changeset built in Lua, then applied to the registry as one
/// version. The builder methods return the same object so calls chain (`changes:create(a):delete(b)`).
enum ChangesObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("create", create), ("update", update), ("delete", delete), ("ops", ops), ("apply", apply),
    ]
    static let metamethods: [(String, LuaNativeFunction)] = [("__gc", collect)]

    static func push(_ list: ChangeList, state: LuaWorkerState, on lua: Lua) {
        RetainedObject.push(list, tag: ModuleTags.registryChanges, userValues: 0, state: state, on: lua)
    }

    private static func withList(_ lua: Lua, _ body: (ChangeList, LuaWorkerState) throws(WippyError) -> Int32) -> Int32 {
        guard let list = RetainedObject.object(at: 1, tag: ModuleTags.registryChanges, in: lua, as: ChangeList.self) else {
            return lua.typeError(1, expected: "Changes")
        }
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            return try body(list, worker)
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.registryChanges, as: ChangeList.self)
    }

    /// Adds an operation on the entry table at argument 2 and returns the Changes object.
    private static func add(_ lua: Lua, _ make: @escaping (Entry) -> RegistryChange) -> Int32 {
        withList(lua) { list, worker throws(WippyError) in
            let entry = try RegistryValues.entry(from: LuaValueConverter.payload(at: 2, in: lua, state: worker))
            list.changes.append(make(entry))
            lua.pushValue(at: 1)
            return 1
        }
    }

    static let create: LuaNativeFunction = { state in add(Lua(state!), RegistryChange.create) }

    static let update: LuaNativeFunction = { state in add(Lua(state!), RegistryChange.update) }

    /// `changes:delete(id | {ns, name} | entry)`.
    static let delete: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withList(lua) { list, worker throws(WippyError) in
            var value = LuaValueConverter.payload(at: 2, in: lua, state: worker)
            if let table = value.tableValue, let id = table["id"] { value = id }
            list.changes.append(.delete(try RegistryValues.id(from: value)))
            lua.pushValue(at: 1)
            return 1
        }
    }

    /// `changes:ops()`: `{{kind = "entry.create", entry = {...}}, ...}` in the order they were added.
    static let ops: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withList(lua) { list, worker in
            RegistryValues.push(list.changes, state: worker, on: lua)
            return 1
        }
    }

    /// `changes:apply()`: applies every operation as one new version and returns it; `nil, err` when the
    /// changeset is empty (Invalid "no changes to apply") or rejected (the message names the entry), never
    /// a version then. The apply (registry lock, kind handlers, the history write) runs on the blocking
    /// pool while the calling process waits; other processes of its worker keep running.
    static let apply: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let list = RetainedObject.object(at: 1, tag: ModuleTags.registryChanges, in: lua, as: ChangeList.self) else {
            return lua.typeError(1, expected: "Changes")
        }
        let worker = LuaWorkerState.of(lua)
        guard let task = LuaTask.current(lua) else { return lua.raise("changes:apply needs a running process") }
        let registry: Registry
        do throws(WippyError) {
            registry = try RegistryValues.registry(of: worker)
        } catch {
            return worker.fail(error, on: lua)
        }
        let changes = list.changes
        guard !changes.isEmpty else { return worker.fail(.invalid("no changes to apply"), on: lua) }
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) -> UInt64 in
            try registry.apply(changes, origin: .api, record: true) ?? registry.version
        } resume: { thread, result in
            switch result {
            case .success(let version):
                VersionObject.push(version, state: worker, on: thread)
                return 1
            case .failure(let error):
                return worker.fail(error, on: thread)
            }
        }
    }
}
