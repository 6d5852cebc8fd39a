import WippyCore
public import WippyLua

/// The `channel` global, channel and select-case userdata.
extension LuaWorkerState {
    func installChannelLibrary(into base: Int32) {
        let lua = self.lua
        // channel metatable
        lua.newTable()
        let meta = lua.top
        lua.newTable()
        let methods = lua.top
        // receive: messages C queued for the running process's inbox are taken in C (`wippy_mailbox.c`)
        mailboxes.pushReceive(fallback: ChannelNatives.receive, on: lua)
        lua.rawSet(methods, key: "receive")
        for (name, native) in [
            ("send", ChannelNatives.send), ("close", ChannelNatives.close),
            ("case_send", ChannelNatives.caseSend), ("case_receive", ChannelNatives.caseReceive),
        ] as [(String, LuaNativeFunction)] {
            lua.push(native: native)
            lua.rawSet(methods, key: name)
        }
        lua.rawSet(meta, key: "__index")
        lua.push(native: ChannelNatives.collect)
        lua.rawSet(meta, key: "__gc")
        lua.push(native: ChannelNatives.describe)
        lua.rawSet(meta, key: "__tostring")
        lua.push("channel")
        lua.rawSet(meta, key: "__name")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        registerMetatable(.channel, from: lua)

        // select case metatable (opaque)
        lua.newTable()
        lua.push("channel.case")
        lua.rawSet(-2, key: "__name")
        lua.push(false)
        lua.rawSet(-2, key: "__metatable")
        registerMetatable(.selectCase, from: lua)

        // channel table: new here, select from the prelude
        lua.newTable()
        lua.push(native: ChannelNatives.new)
        lua.rawSet(-2, key: "new")
        lua.rawSet(base, key: "channel")  // made read-only after the prelude adds `select`
    }

    /// Pushes a new channel userdata for `channel`.
    public func push(_ channel: LuaChannel, on lua: Lua) {
        let memory = lua.newTaggedUserdata(.channel, size: MemoryLayout<UnsafeRawPointer>.size)
        memory.storeBytes(of: Unmanaged.passRetained(channel).toOpaque(), as: UnsafeMutableRawPointer.self)
        pushMetatable(.channel, on: lua)
        lua.setMetatable(-2)
    }
}

extension LuaChannel {
    /// The channel at `index`, if the value there is a live channel userdata.
    public static func at(_ index: Int32, in lua: Lua) -> LuaChannel? {
        guard let memory = lua.taggedUserdata(at: index, .channel),
            let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return nil }
        return Unmanaged<LuaChannel>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The channel and direction of the select case at `index`.
    static func selectCase(at index: Int32, in lua: Lua) -> (channel: LuaChannel, isSend: Bool)? {
        guard let memory = lua.taggedUserdata(at: index, .selectCase) else { return nil }
        let isSend = memory.load(as: Int32.self) != 0
        lua.getUserValue(index, 1)
        defer { lua.pop() }
        guard let channel = LuaChannel.at(-1, in: lua) else { return nil }
        return (channel, isSend)
    }
}

enum ChannelNatives {
    /// Resolves `self` and the running task, checking the channel belongs to the task's process.
    @inline(__always)
    static func operands(_ lua: Lua) -> (LuaChannel, LuaTask)? {
        guard let channel = LuaChannel.at(1, in: lua), let task = LuaTask.current(lua),
            channel.ownerSerial == task.process.serial
        else { return nil }
        return (channel, task)
    }

    static func misuse(_ lua: Lua) -> Int32 {
        if LuaChannel.at(1, in: lua) == nil { return lua.typeError(1, expected: "channel") }
        if LuaTask.current(lua) == nil { return lua.raise("channels can only be used inside a process") }
        return lua.raise("channel belongs to another process")
    }

    static let new: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let task = LuaTask.current(lua) else { return lua.raise("channels can only be used inside a process") }
        var size = 0
        if lua.type(at: 1) == .number { size = Int(clamping: lua.integer(at: 1) ?? 0) }
        let channel = LuaChannel(capacity: max(0, size), owner: task.process)
        task.process.workerState.push(channel, on: lua)
        return 1
    }

    static let send: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (channel, task) = operands(lua) else { return misuse(lua) }
        lua.top = 2
        return task.process.send(channel, task: task, on: lua)
    }

    /// `ch:receive()`, nearly always `inbox:receive()` in a message loop: the channel and the task are used
    /// through unretained references (the channel's userdata and the running task keep them alive while the
    /// native runs), which keeps reference counting off the per-message path.
    static let receive: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, .channel), let channel = memory.load(as: UnsafeMutableRawPointer?.self),
            let task = lua.extraSpace
        else { return misuse(lua) }
        return Unmanaged<LuaChannel>.fromOpaque(channel)._withUnsafeGuaranteedRef { channel in
            Unmanaged<LuaTask>.fromOpaque(task)._withUnsafeGuaranteedRef { task in
                Unmanaged.passUnretained(task.process)._withUnsafeGuaranteedRef { process in
                    guard channel.ownerSerial == process.serial else { return misuse(lua) }
                    lua.top = 1
                    return process.receive(channel, task: task, on: lua)
                }
            }
        }
    }

    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (channel, task) = operands(lua) else { return misuse(lua) }
        if let source = channel.source { task.process.unsubscribe(source) }
        task.process.close(channel)
        return 0
    }

    static let caseReceive: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard LuaChannel.at(1, in: lua) != nil else { return lua.typeError(1, expected: "channel") }
        let memory = lua.newTaggedUserdata(.selectCase, size: 8, userValues: 2)
        memory.storeBytes(of: Int32(0), as: Int32.self)
        lua.pushValue(at: 1)
        lua.setUserValue(-2, 1)
        LuaWorkerState.of(lua).pushMetatable(.selectCase, on: lua)
        lua.setMetatable(-2)
        return 1
    }

    static let caseSend: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard LuaChannel.at(1, in: lua) != nil else { return lua.typeError(1, expected: "channel") }
        lua.top = 2
        let memory = lua.newTaggedUserdata(.selectCase, size: 8, userValues: 2)
        memory.storeBytes(of: Int32(1), as: Int32.self)
        lua.pushValue(at: 1)
        lua.setUserValue(-2, 1)
        lua.pushValue(at: 2)
        lua.setUserValue(-2, 2)
        LuaWorkerState.of(lua).pushMetatable(.selectCase, on: lua)
        lua.setMetatable(-2)
        return 1
    }

    /// Internal: `select_raw(cases, has_default)` → `index, value, ok` (index 0 = default).
    static let selectRaw: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        guard let task = LuaTask.current(lua) else { return lua.raise("channel.select can only be used inside a process") }
        let hasDefault = lua.bool(at: 2)
        lua.top = 1
        return task.process.select(task: task, on: lua, hasDefault: hasDefault)
    }

    /// Internal: the channel of a select case.
    static let caseChannel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .selectCase) != nil else {
            lua.pushNil()
            return 1
        }
        lua.getUserValue(1, 1)
        return 1
    }

    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, .channel),
            let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return 0 }
        memory.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<LuaChannel>.fromOpaque(raw).release()
        return 0
    }

    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        if let channel = LuaChannel.at(1, in: lua) {
            lua.push("channel{size=\(channel.capacity), closed=\(channel.isClosed)}")
        } else {
            lua.push("channel")
        }
        return 1
    }
}
