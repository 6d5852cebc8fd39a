import WippyCore
import WippyLua
import WippyRuntime

/// Natives of the `io` module. Each has the module's ``TerminalDevice`` as upvalue 1 (a light userdata, null
/// when the runtime has no terminal); the module keeps the device alive.
enum IONatives {
    static let functions: [(String, LuaNativeFunction)] = [
        ("write", write), ("print", print), ("eprint", eprint), ("read", read), ("readline", readline),
        ("flush", flush), ("args", args),
    ]

    /// The device, when the calling process runs on a terminal host.
    static func terminal(_ lua: Lua) -> (TerminalDevice, LuaProcess, LuaTask)? {
        guard let raw = lua.userdata(at: Lua.upvalueIndex(1)), let task = LuaTask.current(lua) else { return nil }
        let process = task.process
        guard process.workerState.runtime.isTerminalHost(process.cell.worker.host.id) else { return nil }
        return (Unmanaged<TerminalDevice>.fromOpaque(raw).takeUnretainedValue(), process, task)
    }

    static func unavailable(_ lua: Lua) -> Int32 {
        LuaWorkerState.of(lua).fail(.unavailable("no terminal context"), on: lua)
    }

    /// The arguments from index 1 as text joined by `separator` (strings and numbers as they are, other
    /// values through `tostring`).
    static func text(_ lua: Lua, separator: [UInt8], terminator: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        let count = lua.top
        if count > 0 {
            for index in 1...count {
                if index > 1 { bytes += separator }
                switch lua.type(at: index) {
                case .string: bytes += lua.bytes(at: index) ?? []
                case .number: bytes += Array((lua.stringCoercing(at: index) ?? "").utf8)
                default: bytes += Array(lua.toStringProtected(at: index).utf8)
                }
            }
        }
        return bytes + terminator
    }

    /// `io.write(...)`: the arguments back to back; `true` or `nil, err`.
    static let write: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (device, process, _) = terminal(lua) else { return unavailable(lua) }
        if let error = device.write(text(lua, separator: [], terminator: []), to: .output) {
            return process.workerState.fail(error, on: lua)
        }
        lua.push(true)
        return 1
    }

    /// `io.print(...)`: the arguments separated by tabs, then a newline; write errors are ignored.
    static let print: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (device, _, _) = terminal(lua) else { return unavailable(lua) }
        device.write(text(lua, separator: [0x09], terminator: [0x0a]), to: .output)
        lua.push(true)
        return 1
    }

    /// `io.eprint(...)`: like `print`, to the error output.
    static let eprint: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (device, _, _) = terminal(lua) else { return unavailable(lua) }
        device.write(text(lua, separator: [0x09], terminator: [0x0a]), to: .error)
        lua.push(true)
        return 1
    }

    /// Blocks the calling task on a read of the device; resumes it with the string or `nil, err`
    /// (`EOF` at the end of input).
    static func suspendOnRead(
        _ lua: Lua, _ start: (TerminalDevice, @escaping @Sendable (TerminalReadResult) -> Void) -> Void
    ) -> Int32 {
        guard let (device, process, task) = terminal(lua) else { return unavailable(lua) }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let worker = process.workerState
        let token = process.suspend(task) { thread, completion in
            switch completion {
            case .values(let values):
                LuaValueConverter.push(values.first ?? .null, on: thread, state: worker)
                return 1
            case .failure(let error):
                return worker.fail(error, on: thread)
            default:
                return worker.fail(.internal("terminal read failed"), on: thread)
            }
        }
        let cell = process.cell
        start(device) { result in
            switch result {
            case .data(let bytes): cell.worker.complete(cell, token: token, .values([.bytes(bytes)]))
            case .endOfFile: cell.worker.complete(cell, token: token, .failure(WippyError("EOF")))
            case .failure(let error): cell.worker.complete(cell, token: token, .failure(error))
            }
        }
        return lua.yieldToScheduler()
    }

    /// `io.read(n)`: one read of up to `n` bytes (default 1024; `n <= 0` means 1024).
    static let read: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var count = 1024
        if lua.type(at: 1) == .number, let requested = lua.integer(at: 1), requested > 0 {
            count = Int(clamping: requested)
        }
        return suspendOnRead(lua) { device, completion in device.read(upTo: count, completion) }
    }

    /// `io.readline()`: a line without its `\n` / `\r\n`; at the end of input the unterminated rest, then
    /// `nil, err`.
    static let readline: LuaNativeFunction = { state in
        suspendOnRead(Lua(state!)) { device, completion in device.readLine(completion) }
    }

    /// `io.flush()`: writes are unbuffered, so there is nothing to flush; `true`.
    static let flush: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard terminal(lua) != nil else { return unavailable(lua) }
        lua.push(true)
        return 1
    }

    /// `io.args()`: the terminal process's command-line arguments (an empty table elsewhere).
    static let args: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let arguments = terminal(lua)?.0.arguments ?? []
        lua.newTable(arrayCapacity: Int32(clamping: arguments.count), fieldCapacity: 0)
        for (offset, argument) in arguments.enumerated() {
            lua.push(argument)
            lua.rawSet(-2, index: Int64(offset + 1))
        }
        return 1
    }
}
