import WippyCodecs
import WippyCore
public import WippyLua
public import WippyRuntime

/// The `json` module (lua-api-core §16.1): `encode` and `decode`.
///
/// `json.validate` and `json.validate_string` (JSON Schema) are not provided.
public struct JSONModule: LuaModule {
    public let name = "json"

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.setFunctions([("encode", Self.encode), ("decode", Self.decode)], in: -1)
    }

    /// `json.encode(value) -> string, nil | nil, err`; failures are `Internal` with context "encode failed".
    static let encode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        lua.top = max(lua.top, 1)
        do throws(WippyError) {
            var reader = JSONValueReader(lua: lua, state: worker)
            let bytes = try JSONCodec.encode(try reader.read(at: 1))
            lua.push(bytes: bytes)
            lua.pushNil()
            return 2
        } catch {
            return worker.fail(error, context: "encode failed", on: lua)
        }
    }

    /// `json.decode(text) -> value, nil | nil, err`: non-strings and `""` are `Invalid`, syntax errors
    /// `Internal` with context "decode failed". Integral numbers become integers; `{}` stays an object.
    static let decode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let bytes = lua.bytes(at: 1) else { return worker.fail(.invalid("string expected"), on: lua) }
        do throws(WippyError) {
            let value = try JSONCodec.decode(bytes)
            LuaValueConverter.push(value, on: lua, state: worker)
            lua.pushNil()
            return 2
        } catch {
            if error.kind == .invalid { return worker.fail(error, on: lua) }
            return worker.fail(error, context: "decode failed", on: lua)
        }
    }
}
