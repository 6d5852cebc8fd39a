import WippyCore
import WippyLua
import WippyRuntime

/// The functions of the `events` module and the methods of its Subscription objects.
///
/// A Subscription is a userdata holding the subscription ID; user value 1 is its channel.
enum EventsNatives {
    static let subscribe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return worker.fail(.internal("no process PID"), on: lua) }
        guard let system = optionalString(lua, 1) else { return lua.typeError(1, expected: "string") }
        guard let kind = optionalString(lua, 2) else { return lua.typeError(2, expected: "string or nil") }
        if system.isEmpty { return worker.fail(.invalid("system pattern is required"), on: lua) }
        let subscription: (id: UInt64, channel: LuaChannel)
        do throws(WippyError) {
            subscription = try process.subscribeEvents(system: system, kind: kind.isEmpty ? nil : kind)
        } catch {
            return worker.fail(error, on: lua)
        }
        let memory = worker.newObject(ModuleTags.eventSubscription, size: 8, userValues: 1, on: lua)
        memory.storeBytes(of: subscription.id, as: UInt64.self)
        worker.push(subscription.channel, on: lua)
        lua.setUserValue(-2, 1)
        return 1
    }

    static let send: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        var fields: [String] = []
        for (index, name) in ["system", "kind", "path"].enumerated() {
            guard let value = optionalString(lua, Int32(index + 1)) else {
                return lua.typeError(Int32(index + 1), expected: "string")
            }
            if value.isEmpty { return worker.fail(.invalid("\(name) is required"), on: lua) }
            fields.append(value)
        }
        var data = Payload.null
        if lua.top >= 4 {
            do throws(UnsendableValue) {
                data = try LuaValueConverter.export(at: 4, in: lua, state: worker)
            } catch {
                return worker.fail(error.error(root: "data"), on: lua)
            }
        }
        worker.runtime.bus.send(BusEvent(system: fields[0], kind: fields[1], path: fields[2], data: data))
        lua.push(true)
        return 1
    }

    /// `sub:channel()`.
    static let channel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.eventSubscription) != nil else {
            return lua.typeError(1, expected: "Subscription")
        }
        lua.getUserValue(1, 1)
        return 1
    }

    /// `sub:close()`: always true.
    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, ModuleTags.eventSubscription) else {
            return lua.typeError(1, expected: "Subscription")
        }
        LuaProcess.current(lua)?.closeEventSubscription(memory.load(as: UInt64.self))
        lua.push(true)
        return 1
    }

    /// `sub:dropped()`: events the bus dropped because the process did not keep up (0 once closed).
    static let dropped: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, ModuleTags.eventSubscription) else {
            return lua.typeError(1, expected: "Subscription")
        }
        lua.push(Int64(LuaProcess.current(lua)?.droppedEvents(memory.load(as: UInt64.self)) ?? 0))
        return 1
    }

    /// The string at `index`: "" for nil or none, nil for a value that is not a string (numbers convert).
    private static func optionalString(_ lua: Lua, _ index: Int32) -> String? {
        switch lua.type(at: index) {
        case .nil, .none: return ""
        case .string, .number: return lua.stringCoercing(at: index)
        default: return nil
        }
    }
}
