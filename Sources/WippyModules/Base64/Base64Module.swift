import WippyCodecs
import WippyCore
public import WippyLua
public import WippyRuntime

/// The `base64` module (lua-api-core §16.3): standard alphabet with padding. Both functions return a single
/// string on success and `nil, err` (`Invalid`) otherwise; numbers are not accepted as strings.
public struct Base64Module: LuaModule {
    public let name = "base64"
    public let classes: Set<ModuleClass> = [.deterministic]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.setFunctions([("encode", Self.encode), ("decode", Self.decode)], in: -1)
    }

    static let encode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let bytes = lua.bytes(at: 1) else {
            return LuaWorkerState.of(lua).fail(.invalid("string expected"), on: lua)
        }
        lua.push(bytes: Base64Codec.encodeToBytes(bytes))
        return 1
    }

    /// Invalid input is `Invalid` with context "decode failed".
    static let decode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let text = lua.bytes(at: 1) else { return worker.fail(.invalid("string expected"), on: lua) }
        do throws(WippyError) {
            lua.push(bytes: try Base64Codec.decode(text))
            return 1
        } catch {
            return worker.fail(error, context: "decode failed", on: lua)
        }
    }
}
