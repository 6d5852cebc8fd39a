import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// `store.get` and the methods of Store objects. Memory stores answer inline (in-process CPU work); stores
/// that wait on I/O (`store.sql`) run on the blocking pool while the calling process is suspended.
enum StoreNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("get", get_), ("set", set), ("delete", delete), ("has", has), ("entry", entry), ("put", put), ("list", list),
        ("info", info), ("release", release),
    ]

    /// `store.get(id)`: a Store, or `nil, err` (empty ID `Invalid`; not a store `Invalid`; missing or not
    /// started `Internal` naming the reason).
    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return lua.raise("store.get needs a running process") }
        guard lua.type(at: 1) == .string, let text = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard !text.isEmpty else { return worker.fail(.invalid("store ID required"), on: lua) }
        let id = EntryID.resolve(text, in: process.program.entryID.namespace)
        let table = worker.runtime.resources
        func push(_ lease: ResourceLease, _ store: any KeyValueStore, on thread: Lua) -> Int32 {
            let handle = StoreHandle(id: id, store: store, lease: lease, process: process)
            RetainedObject.push(handle, tag: ModuleTags.store, userValues: 0, state: worker, on: thread)
            return 1
        }
        func fail(_ error: WippyError, on thread: Lua) -> Int32 {
            var failure = error
            if failure.kind != .invalid { failure.kind = .internal }
            return worker.fail(failure, context: "store.get", on: thread)
        }
        do throws(WippyError) {
            let (lease, store) = try table.acquire(id, as: (any KeyValueStore).self, what: "a store")
            return push(lease, store, on: lua)
        } catch {
            // A store still opening (the application is starting): wait for it off the worker.
            guard ResourceStartWait.isStarting(error, id: id, in: table), let task = LuaTask.current(lua) else { return fail(error, on: lua) }
            return process.performBlocking(task, from: lua) { () throws(WippyError) in
                ResourceStartWait.wait(for: id, in: table)
            } resume: { thread, _ in
                do throws(WippyError) {
                    let (lease, store) = try table.acquire(id, as: (any KeyValueStore).self, what: "a store")
                    return push(lease, store, on: thread)
                } catch {
                    return fail(error, on: thread)
                }
            }
        }
    }

    /// Runs `work` on the store of the Store at argument 1: inline for a memory store, on the blocking pool
    /// otherwise; `push` pushes the results on success. Failures push `failureHead` (nil or false) and the
    /// error. Argument reading happens before, in `read`.
    static func perform<Value: Sendable>(
        _ lua: Lua, failureHead: Bool? = nil,
        read: (Lua, LuaWorkerState) throws(WippyError) -> (@Sendable (any KeyValueStore) throws(WippyError) -> Value),
        push: @escaping (Lua, LuaWorkerState, Value) -> Int32
    ) -> Int32 {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.store, in: lua, as: StoreHandle.self) else {
            return lua.typeError(1, expected: "Store")
        }
        let worker = LuaWorkerState.of(lua)
        func fail(_ error: WippyError, on thread: Lua) -> Int32 {
            if let head = failureHead {
                thread.push(head)
                worker.pushError(error, on: thread)
                return 2
            }
            return worker.fail(error, on: thread)
        }
        guard !handle.isReleased else { return fail(.invalid("store is released"), on: lua) }
        let work: @Sendable (any KeyValueStore) throws(WippyError) -> Value
        do throws(WippyError) {
            work = try read(lua, worker)
        } catch {
            return fail(error, on: lua)
        }
        let store = handle.store
        if !store.waits {
            do throws(WippyError) {
                return push(lua, worker, try work(store))
            } catch {
                return fail(error, on: lua)
            }
        }
        guard let task = LuaTask.current(lua) else { return lua.raise("store methods need a running process") }
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) -> Value in
            try work(store)
        } resume: { thread, result in
            switch result {
            case .success(let value): return push(thread, worker, value)
            case .failure(let error): return fail(error, on: thread)
            }
        }
    }

    static let get_: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, _ throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            return { store throws(WippyError) in try store.get(key) }
        } push: { lua, worker, value in
            LuaValueConverter.push(value, on: lua, state: worker)
            return 1
        }
    }

    static let set: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, worker throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            let value = try StoreArguments.value(lua, at: 3, state: worker)
            let ttl = try StoreArguments.ttl(lua, at: 4)
            return { store throws(WippyError) in try store.set(key, value, ttl: ttl) }
        } push: { lua, _, _ in
            lua.push(true)
            return 1
        }
    }

    static let delete: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, _ throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            return { store throws(WippyError) in try store.delete(key) }
        } push: { lua, _, deleted in
            lua.push(deleted)
            return 1
        }
    }

    static let has: LuaNativeFunction = { state in
        perform(Lua(state!), failureHead: false) { lua, _ throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            return { store throws(WippyError) in try store.has(key) }
        } push: { lua, _, found in
            lua.push(found)
            return 1
        }
    }

    static let entry: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, _ throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            return { store throws(WippyError) in try store.entry(key) }
        } push: { lua, worker, entry in
            pushEntry(entry, on: lua, state: worker)
            return 1
        }
    }

    static let put: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, worker throws(WippyError) in
            let key = try StoreArguments.key(lua, at: 2)
            let value = try StoreArguments.value(lua, at: 3, state: worker)
            let options = try StoreArguments.putOptions(lua, at: 4)
            return { store throws(WippyError) in try store.put(key, value, options: options) }
        } push: { lua, worker, entry in
            pushEntry(entry, on: lua, state: worker)
            return 1
        }
    }

    static let list: LuaNativeFunction = { state in
        perform(Lua(state!)) { lua, _ throws(WippyError) in
            let (prefix, after, limit) = try StoreArguments.listOptions(lua, at: 2)
            return { store throws(WippyError) in try store.list(prefix: prefix, after: after, limit: limit) }
        } push: { lua, worker, page in
            lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
            lua.newTable(arrayCapacity: Int32(page.items.count), fieldCapacity: 0)
            for (index, entry) in page.items.enumerated() {
                pushEntry(entry, on: lua, state: worker)
                lua.rawSet(-2, index: Int64(index + 1))
            }
            lua.rawSet(-2, key: "items")
            lua.push(page.cursor)
            lua.rawSet(-2, key: "cursor")
            lua.push(page.hasMore)
            lua.rawSet(-2, key: "has_more")
            return 1
        }
    }

    static func pushEntry(_ entry: StoreEntry, on lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.push(entry.key)
        lua.rawSet(-2, key: "key")
        LuaValueConverter.push(entry.value, on: lua, state: state)
        lua.rawSet(-2, key: "value")
        lua.push(String(entry.version))
        lua.rawSet(-2, key: "version")
    }

    /// `s:info()`.
    static let info: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.store, in: lua, as: StoreHandle.self) else {
            return lua.typeError(1, expected: "Store")
        }
        let worker = LuaWorkerState.of(lua)
        guard !handle.isReleased else { return worker.fail(.invalid("store is released"), on: lua) }
        let capabilities = handle.store.capabilities
        lua.newTable(arrayCapacity: 0, fieldCapacity: 8)
        for (key, text) in [("id", handle.id.description), ("backend", capabilities.backend), ("consistency", capabilities.consistency)] {
            lua.push(text)
            lua.rawSet(-2, key: key)
        }
        for (key, flag) in [
            ("durable", capabilities.durable), ("list", capabilities.list), ("versioned", capabilities.versioned),
            ("conditional_put", capabilities.conditionalPut), ("ttl", capabilities.ttl),
        ] {
            lua.push(flag)
            lua.rawSet(-2, key: key)
        }
        lua.pushNil()
        return 2
    }

    /// `s:release()`: always `true`.
    static let release: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.store, in: lua, as: StoreHandle.self) else {
            return lua.typeError(1, expected: "Store")
        }
        handle.release()
        lua.push(true)
        return 1
    }

    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let handle = RetainedObject.object(at: 1, tag: ModuleTags.store, in: lua, as: StoreHandle.self)
        lua.push("store.Store(\(handle?.id.description ?? "?"))")
        return 1
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.store, as: StoreHandle.self)
    }
}
