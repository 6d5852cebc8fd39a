import Logging
import WippyCore
public import WippyLua
public import WippyRuntime

/// The `registry` module (lua-api-core §14): reads the runtime's registry (entries, queries, versions,
/// past states) and changes it with changesets that become new versions.
///
/// Entries are tables `{id = "ns:name", kind, meta, data}`. Queries use the Finder language
/// (``WippyCore/EntryFilter``); keys that are no condition are ignored with one warning per key. Reads are
/// answered at once from memory; `changes:apply()` and `apply_version` (registry lock, kind handlers, the
/// SQLite history) suspend the calling process and run on the runtime's blocking pool.
///
/// No permissions are checked yet: `registry.get`, `registry.apply` and `registry.apply_version` are open
/// to every process until the security layer exists.
public struct RegistryModule: LuaModule {
    public let name = "registry"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.registrySnapshot, name: "registry.Snapshot", methods: SnapshotObject.methods,
            metamethods: SnapshotObject.metamethods)
        state.registerType(
            ModuleTags.registryChanges, name: "registry.Changes", methods: ChangesObject.methods,
            metamethods: ChangesObject.metamethods)
        state.registerType(
            ModuleTags.registryVersion, name: "registry.Version", methods: VersionObject.methods,
            metamethods: VersionObject.metamethods)
        state.registerType(ModuleTags.registryHistory, name: "registry.History", methods: HistoryObject.methods)
        lua.newTable(arrayCapacity: 0, fieldCapacity: 10)
        lua.setFunctions(
            [
                ("get", Self.getEntry), ("find", Self.findEntries), ("parse_id", Self.parseID), ("snapshot", Self.snapshot),
                ("snapshot_at", Self.snapshotAtVersion), ("current_version", Self.currentVersion),
                ("versions", Self.versions), ("history", Self.history), ("apply_version", Self.applyVersion),
                ("build_delta", Self.buildDelta),
            ], in: -1)
    }

    /// Runs `body` with the registry, turning a thrown error into `nil, err`.
    static func withRegistry(_ lua: Lua, _ body: (Registry, LuaWorkerState) throws(WippyError) -> Int32) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            return try body(try RegistryValues.registry(of: worker), worker)
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    // MARK: - Shared with Snapshot

    /// Pushes the entry whose ID is at `argument` in `snapshot`, or `nil, err`.
    static func get(_ lua: Lua, argument: Int32, in snapshot: RegistrySnapshot, worker: LuaWorkerState) -> Int32 {
        do throws(WippyError) {
            let id = try RegistryValues.id(at: argument, in: lua, state: worker)
            guard let entry = snapshot.entry(id) else { throw WippyError.notFound("entry not found: \(id)") }
            RegistryValues.push(entry, state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// Pushes the entries of `snapshot` matching the filter at `argument`, or `nil, err` for a bad filter.
    static func find(_ lua: Lua, argument: Int32, in snapshot: RegistrySnapshot, worker: LuaWorkerState) -> Int32 {
        do throws(WippyError) {
            guard let registry = worker.runtime.registry else {
                let filter = try EntryFilter(query: LuaValueConverter.payload(at: argument, in: lua, state: worker))
                RegistryValues.push(filter.select(from: snapshot), state: worker, on: lua)
                return 1
            }
            let filter = try registry.finder.filter(query: LuaValueConverter.payload(at: argument, in: lua, state: worker))
            for key in registry.finder.firstSightings(of: filter.ignoredKeys) {
                worker.runtime.log(
                    .warning, "registry.find: ignoring filter key '\(key)' (use .kind, .ns, .name, .id or meta.<field>)",
                    pid: LuaProcess.current(lua)?.pid, location: lua.callerLocation())
            }
            RegistryValues.push(registry.finder.find(filter, in: snapshot), state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// A Version or a version number at `argument` → a Snapshot of that version, or `nil, err`.
    static func snapshotAt(_ lua: Lua, argument: Int32) -> Int32 {
        withRegistry(lua) { registry, worker throws(WippyError) in
            let number: Int64
            if let version = VersionObject.read(lua, at: argument) {
                number = Int64(version)
            } else if let given = lua.integer(at: argument) {
                number = given
            } else {
                throw WippyError.invalid("version must be a number or a Version")
            }
            guard number > 0 else { throw WippyError.invalid("version must be positive, got \(number)") }
            SnapshotObject.push(try registry.snapshot(at: UInt64(number)), state: worker, on: lua)
            return 1
        }
    }

    // MARK: - Functions

    static let getEntry: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { registry, worker in get(lua, argument: 1, in: registry.snapshot, worker: worker) }
    }

    static let findEntries: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { registry, worker in find(lua, argument: 1, in: registry.snapshot, worker: worker) }
    }

    /// `registry.parse_id(id)`: `{ns, name}`; never fails (no `:` gives an empty `ns`).
    static let parseID: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let id = EntryID(parsing: lua.stringCoercing(at: 1) ?? "")
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.push(id.namespace)
        lua.rawSet(-2, key: "ns")
        lua.push(id.name)
        lua.rawSet(-2, key: "name")
        return 1
    }

    static let snapshot: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { registry, worker in
            SnapshotObject.push(registry.snapshot, state: worker, on: lua)
            return 1
        }
    }

    static let snapshotAtVersion: LuaNativeFunction = { state in snapshotAt(Lua(state!), argument: 1) }

    static let currentVersion: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { registry, worker in
            VersionObject.push(registry.version, state: worker, on: lua)
            return 1
        }
    }

    /// `registry.versions()` (also `history:versions()`): every recorded version, oldest first.
    static let versions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { registry, worker in
            let versions = registry.versions
            lua.newTable(arrayCapacity: Int32(versions.count), fieldCapacity: 0)
            for (index, version) in versions.enumerated() {
                VersionObject.push(version.id, state: worker, on: lua)
                lua.rawSet(-2, index: Int64(index + 1))
            }
            return 1
        }
    }

    static let history: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withRegistry(lua) { _, worker in
            HistoryObject.push(state: worker, on: lua)
            return 1
        }
    }

    /// `registry.apply_version(version)`: `true`, or `false, err`. Runs on the blocking pool (the registry
    /// lock, kind handlers and the history write) while the calling process waits.
    static let applyVersion: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        func refuse(_ error: WippyError, on thread: Lua) -> Int32 {
            thread.push(false)
            worker.pushError(error, on: thread)
            return 2
        }
        guard let task = LuaTask.current(lua) else { return lua.raise("registry.apply_version needs a running process") }
        let registry: Registry
        let version: UInt64
        do throws(WippyError) {
            registry = try RegistryValues.registry(of: worker)
            guard let given = VersionObject.read(lua, at: 1) else { throw WippyError.invalid("version must be a Version") }
            version = given
        } catch {
            return refuse(error, on: lua)
        }
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) in
            try registry.applyVersion(version)
        } resume: { thread, result in
            switch result {
            case .success:
                thread.push(true)
                return 1
            case .failure(let error):
                return refuse(error, on: thread)
            }
        }
    }

    /// `registry.build_delta(from, to)`: the operations that turn one list of entries into the other.
    static let buildDelta: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .table, lua.type(at: 2) == .table else {
            return worker.fail(.invalid("build_delta expects two lists of entries"), on: lua)
        }
        let from = RegistryValues.entries(from: LuaValueConverter.payload(at: 1, in: lua, state: worker))
        let to = RegistryValues.entries(from: LuaValueConverter.payload(at: 2, in: lua, state: worker))
        RegistryValues.push(RegistryDelta.between(from, to), state: worker, on: lua)
        return 1
    }
}
