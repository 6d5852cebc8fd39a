import WippyCore
import WippyLua

/// Message objects (what `inbox()` delivers) and Payload objects (`msg:payload()`, `payload.new`).
extension LuaWorkerState {
    func registerMetatables() {
        let lua = self.lua
        // Message
        lua.newTable()
        lua.newTable()
        // topic and from are read for nearly every message: C functions (no trampoline, no Swift frame).
        lua.pushMessageAccessor(1, tag: UserdataTag.message.rawValue)
        lua.rawSet(-2, key: "topic")
        lua.pushMessageAccessor(2, tag: UserdataTag.message.rawValue)
        lua.rawSet(-2, key: "from")
        lua.push(native: MessageNatives.payload)
        lua.rawSet(-2, key: "payload")
        lua.rawSet(-2, key: "__index")
        lua.push(native: MessageNatives.describe)
        lua.rawSet(-2, key: "__tostring")
        lua.push("process.Message")
        lua.rawSet(-2, key: "__name")
        lua.push(false)
        lua.rawSet(-2, key: "__metatable")
        registerMetatable(.message, from: lua)

        // Payload
        lua.newTable()
        lua.newTable()
        for (name, native) in [
            ("data", PayloadNatives.data), ("unmarshal", PayloadNatives.data),
            ("get_format", PayloadNatives.getFormat), ("transcode", PayloadNatives.transcode),
        ] as [(String, LuaNativeFunction)] {
            lua.push(native: native)
            lua.rawSet(-2, key: name)
        }
        lua.rawSet(-2, key: "__index")
        lua.push(native: PayloadNatives.describe)
        lua.rawSet(-2, key: "__tostring")
        lua.push("payload")
        lua.rawSet(-2, key: "__name")
        lua.push(false)
        lua.rawSet(-2, key: "__metatable")
        registerMetatable(.payload, from: lua)
    }

    func installPayloadLibrary(into base: Int32) {
        let lua = self.lua
        lua.newTable()
        lua.push(native: PayloadNatives.new)
        lua.rawSet(-2, key: "new")
        lua.newTable()
        for (name, value) in PayloadFormat.constants {
            lua.push(value)
            lua.rawSet(-2, key: name)
        }
        makeReadOnly()
        lua.rawSet(-2, key: "format")
        makeReadOnly()
        lua.rawSet(base, key: "payload")
    }

    /// Pushes a Payload object wrapping the value at `index` of `lua`, in `format` (nil: `lua/any`, or
    /// `golang/error` for an error object).
    func pushPayloadObject(valueAt index: Int32, format: String? = nil, on lua: Lua) {
        let value = lua.absolute(index)
        _ = lua.newTaggedUserdata(.payload, size: 0, userValues: 2)
        lua.pushValue(at: value)
        lua.setUserValue(-2, 1)
        if let format {
            lua.push(format)
            lua.setUserValue(-2, 2)
        }
        pushMetatable(.payload, on: lua)
        lua.setMetatable(-2)
    }
}

enum MessageNatives {
    /// One payload → a Payload object; several → an array of Payload objects; none → nil.
    static let payload: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, .message) else { return lua.typeError(1, expected: "message") }
        let count = memory.load(as: Int32.self)
        let worker = LuaWorkerState.of(lua)
        lua.getUserValue(1, 3)
        switch count {
        case 0:
            return 1
        case 1:
            worker.pushPayloadObject(valueAt: -1, on: lua)
            return 1
        default:
            let values = lua.top
            lua.newTable(arrayCapacity: count, fieldCapacity: 0)
            for index in 1...Int64(count) {
                lua.rawGet(values, index: index)
                worker.pushPayloadObject(valueAt: -1, on: lua)
                lua.remove(at: -2)
                lua.rawSet(-2, index: index)
            }
            return 1
        }
    }

    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.getUserValue(1, 1)
        let topic = lua.string(at: -1) ?? ""
        lua.push("process.Message{topic=\(topic)}")
        return 1
    }
}
