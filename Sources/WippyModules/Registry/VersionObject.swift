import WippyCore
import WippyLua
import WippyRuntime

/// Version objects (`registry.current_version()`, `snap:version()`): a version number, with `previous` and
/// `next` read from the registry's recorded versions when asked.
enum VersionObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("id", id), ("string", string), ("previous", previous), ("next", next),
    ]
    static let metamethods: [(String, LuaNativeFunction)] = [("__tostring", toString), ("__eq", equals)]

    static func push(_ version: UInt64, state: LuaWorkerState, on lua: Lua) {
        let memory = state.newObject(ModuleTags.registryVersion, size: 8, on: lua)
        memory.storeBytes(of: version, as: UInt64.self)
    }

    /// The version number of the Version object at `index`.
    static func read(_ lua: Lua, at index: Int32) -> UInt64? {
        lua.taggedUserdata(at: index, ModuleTags.registryVersion)?.load(as: UInt64.self)
    }

    private static func withVersion(_ lua: Lua, _ body: (UInt64) -> Int32) -> Int32 {
        guard let version = read(lua, at: 1) else { return lua.typeError(1, expected: "Version") }
        return body(version)
    }

    static let id: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withVersion(lua) { version in
            lua.push(Int64(version))
            return 1
        }
    }

    static let string: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withVersion(lua) { version in
            lua.push("v\(version)")
            return 1
        }
    }

    static let toString: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withVersion(lua) { version in
            lua.push("registry.Version{id=\(version)}")
            return 1
        }
    }

    static let equals: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(read(lua, at: 1) != nil && read(lua, at: 1) == read(lua, at: 2))
        return 1
    }

    /// The recorded version this one was made from; nil for the first recorded version (made from the
    /// baseline, which is no recorded version), for v0 and for unknown versions.
    static let previous: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withVersion(lua) { version in
            let worker = LuaWorkerState.of(lua)
            guard version != 0, let registry = worker.runtime.registry, let recorded = registry.version(version),
                recorded.parent != 0, registry.version(recorded.parent) != nil
            else {
                lua.pushNil()
                return 1
            }
            push(recorded.parent, state: worker, on: lua)
            return 1
        }
    }

    /// The version made from this one: the child on the way to the current version if there is one, else the
    /// newest child; nil when none was made.
    static let next: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withVersion(lua) { version in
            let worker = LuaWorkerState.of(lua)
            guard let registry = worker.runtime.registry, let child = VersionObject.child(of: version, in: registry) else {
                lua.pushNil()
                return 1
            }
            push(child, state: worker, on: lua)
            return 1
        }
    }

    static func child(of version: UInt64, in registry: Registry) -> UInt64? {
        let versions = registry.versions
        let children = versions.filter { $0.parent == version && $0.id != version }.map(\.id)
        guard !children.isEmpty else { return nil }
        // walk from the head back to the root; the first child met is on the current branch
        var cursor = registry.version
        var steps = 0
        while cursor != 0, steps <= versions.count, let recorded = registry.version(cursor) {
            if children.contains(cursor) { return cursor }
            cursor = recorded.parent
            steps += 1
        }
        return children.max()
    }
}

/// The History object (`registry.history()`): versions, one version by number, and past states.
enum HistoryObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("versions", RegistryModule.versions), ("get_version", getVersion), ("snapshot_at", snapshotAt),
    ]

    static func push(state: LuaWorkerState, on lua: Lua) {
        _ = state.newObject(ModuleTags.registryHistory, on: lua)
    }

    /// `h:get_version(n)`: the recorded version `n`, or `nil, err` (NotFound).
    static let getVersion: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            let registry = try RegistryValues.registry(of: worker)
            guard let number = lua.integer(at: 2) else { throw WippyError.invalid("version number expected") }
            guard number > 0, registry.version(UInt64(number)) != nil else {
                throw WippyError.notFound("version v\(number) not found")
            }
            VersionObject.push(UInt64(number), state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// `h:snapshot_at(version)`: a Version or a number.
    static let snapshotAt: LuaNativeFunction = { state in
        RegistryModule.snapshotAt(Lua(state!), argument: 2)
    }
}
