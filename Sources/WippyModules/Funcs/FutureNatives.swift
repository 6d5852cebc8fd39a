import WippyCore
import WippyLua
import WippyRuntime

/// Methods of Future objects (lua-api-core §9.3).
enum FutureNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("response", channel), ("channel", channel), ("is_complete", isComplete), ("is_canceled", isCanceled),
        ("result", result), ("error", error), ("cancel", cancel),
    ]

    /// Pushes a Future object for `future`, with its channel as user value 1.
    static func push(_ future: FutureState, state: LuaWorkerState, on lua: Lua) {
        state.push(future.channel, on: lua)
        RetainedObject.push(future, tag: ModuleTags.future, userValues: 1, state: state, on: lua)
        lua.insert(at: -2)
        lua.setUserValue(-2, 1)
    }

    @inline(__always)
    static func withFuture(_ lua: Lua, _ body: (FutureState) -> Int32) -> Int32 {
        guard let future = RetainedObject.object(at: 1, tag: ModuleTags.future, in: lua, as: FutureState.self) else {
            return lua.typeError(1, expected: "Future")
        }
        return body(future)
    }

    static let channel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.future) != nil else { return lua.typeError(1, expected: "Future") }
        lua.getUserValue(1, 1)
        return 1
    }

    static let isComplete: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withFuture(lua) { future in
            lua.push(future.isComplete)
            return 1
        }
    }

    static let isCanceled: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withFuture(lua) { future in
            lua.push(future.isCanceled)
            return 1
        }
    }

    /// `f:result()`: `nil, nil` while pending; `nil, err` (Canceled) after cancel; `nil, err` (original kind)
    /// for a failed call; `Payload, nil` on success. Never blocks.
    static let result: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withFuture(lua) { future in
            let worker = LuaWorkerState.of(lua)
            if future.isCanceled { return worker.fail(.canceled("canceled"), on: lua) }
            guard let result = future.result else {
                lua.pushNil()
                lua.pushNil()
                return 2
            }
            if let error = result.error { return worker.fail(error, on: lua) }
            worker.pushPayloadObject(for: result.value, on: lua)
            lua.pushNil()
            return 2
        }
    }

    /// `f:error()`: `err, true` for a failed call (kind forced to Internal, context "async call failed"),
    /// otherwise `nil, false`.
    static let error: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withFuture(lua) { future in
            guard !future.isCanceled, var error = future.result?.error else {
                lua.pushNil()
                lua.push(false)
                return 2
            }
            error.kind = .internal
            error.context.append("async call failed")
            LuaWorkerState.of(lua).pushError(error, on: lua)
            lua.push(true)
            return 2
        }
    }

    /// `f:cancel()`: best effort (the function may still run to its end); always `true`.
    static let cancel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withFuture(lua) { future in
            guard let process = LuaProcess.current(lua), future.process === process else {
                return lua.raise("future belongs to another process")
            }
            if let seq = future.workflowCall, let session = process.workflow, !future.isComplete, !future.isCanceled {
                // A workflow's activity is stopped through its journal.
                guard session.cancelAsync(seq, from: lua) else { return lua.yieldToScheduler() }
            }
            future.cancel()
            lua.push(true)
            return 1
        }
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.future, as: FutureState.self)
    }
}
