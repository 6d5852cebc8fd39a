import WippyCore
import WippyLua
import WippyRuntime

/// A registry state held by a Snapshot object.
final class SnapshotBox {
    let snapshot: RegistrySnapshot
    init(_ snapshot: RegistrySnapshot) { self.snapshot = snapshot }
}

/// Snapshot objects (`registry.snapshot()`): a fixed state of the registry to read, and a starting point
/// for changes.
enum SnapshotObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("entries", entries), ("get", get), ("find", find), ("namespace", namespace), ("version", version),
        ("changes", changes),
    ]
    static let metamethods: [(String, LuaNativeFunction)] = [("__gc", collect), ("__tostring", toString)]

    static func push(_ snapshot: RegistrySnapshot, state: LuaWorkerState, on lua: Lua) {
        RetainedObject.push(SnapshotBox(snapshot), tag: ModuleTags.registrySnapshot, userValues: 0, state: state, on: lua)
    }

    private static func withSnapshot(_ lua: Lua, _ body: (RegistrySnapshot, LuaWorkerState) -> Int32) -> Int32 {
        guard let box = RetainedObject.object(at: 1, tag: ModuleTags.registrySnapshot, in: lua, as: SnapshotBox.self) else {
            return lua.typeError(1, expected: "Snapshot")
        }
        return body(box.snapshot, LuaWorkerState.of(lua))
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.registrySnapshot, as: SnapshotBox.self)
    }

    static let toString: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, _ in
            lua.push("registry.Snapshot{version=\(snapshot.version), entries=\(snapshot.count)}")
            return 1
        }
    }

    /// `snap:entries()`: every entry, sorted by ID.
    static let entries: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, worker in
            RegistryValues.push(snapshot.sortedEntries, state: worker, on: lua)
            return 1
        }
    }

    /// `snap:get(id)`: the entry, or `nil, err` (NotFound "entry not found: <id>").
    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, worker in RegistryModule.get(lua, argument: 2, in: snapshot, worker: worker) }
    }

    /// `snap:find(filter)`: the matching entries.
    static let find: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, worker in RegistryModule.find(lua, argument: 2, in: snapshot, worker: worker) }
    }

    /// `snap:namespace(ns)`: the entries of one namespace.
    static let namespace: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, worker in
            guard let namespace = lua.string(at: 2) else { return worker.fail(.invalid("namespace must be a string"), on: lua) }
            RegistryValues.push(snapshot.namespace(namespace), state: worker, on: lua)
            return 1
        }
    }

    static let version: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { snapshot, worker in
            VersionObject.push(snapshot.version, state: worker, on: lua)
            return 1
        }
    }

    /// `snap:changes()`: an empty change list.
    static let changes: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withSnapshot(lua) { _, worker in
            ChangesObject.push(ChangeList(), state: worker, on: lua)
            return 1
        }
    }
}
