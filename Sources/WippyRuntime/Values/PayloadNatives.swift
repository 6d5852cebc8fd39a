import WippyCodecs
import WippyCore
import WippyLua

/// The payload formats, named exactly as lua-api-core §7's `payload.format` table names them.
public enum PayloadFormat {
    public static let json = "json/plain"
    public static let yaml = "yaml/plain"
    public static let text = "text/plain"
    public static let bytes = "application/octet-stream"
    public static let msgpack = "application/msgpack"
    public static let lua = "lua/any"
    public static let golang = "golang/any"
    public static let error = "golang/error"

    /// The `payload.format` constants.
    static let constants: [(String, String)] = [
        ("JSON", json), ("YAML", yaml), ("STRING", text), ("BYTES", bytes), ("MSGPACK", msgpack), ("LUA", lua),
        ("GOLANG", golang), ("ERROR", error),
    ]
}

/// Methods of Payload objects (`msg:payload()`, `payload.new`, future results): a value and its format.
///
/// Values from Lua are `lua/any` (error objects `golang/error`). `p:transcode(format)` makes a payload in
/// another format: `json/plain` (the JSON text), `text/plain` (a string or number as text),
/// `application/octet-stream` (a string's bytes), `lua/any` / `golang/any` (the plain value); `p:data()` turns
/// any of them back into a Lua value. YAML and msgpack have no transcoder here (`nil, err`, `Internal`).
enum PayloadNatives {
    static let new: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.top = 1
        LuaWorkerState.of(lua).pushPayloadObject(valueAt: 1, on: lua)
        return 1
    }

    /// The format of the Payload object at index 1 (its value must be at `value`).
    private static func format(of lua: Lua, value: Int32) -> String {
        if lua.getUserValue(1, 2) == .string, let format = lua.string(at: -1) {
            lua.pop()
            return format
        }
        lua.pop()
        return lua.taggedUserdata(at: value, .error) != nil ? PayloadFormat.error : PayloadFormat.lua
    }

    /// `p:data()` / `p:unmarshal()`: the value as Lua sees it (`nil, err` when a JSON payload does not parse).
    static let data: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .payload) != nil else { return lua.typeError(1, expected: "payload") }
        lua.top = 1
        lua.getUserValue(1, 1)
        switch format(of: lua, value: 2) {
        case PayloadFormat.json:
            let worker = LuaWorkerState.of(lua)
            do throws(WippyError) {
                let value = try JSONCodec.decode(lua.bytes(at: 2) ?? [])
                LuaValueConverter.push(value, on: lua, state: worker)
                return 1
            } catch {
                var failure = WippyError(error.message, kind: .internal, retryable: false)
                failure.context.append("transcode failed")
                return worker.fail(failure, on: lua)
            }
        default:
            return 1
        }
    }

    static let getFormat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .payload) != nil else { return lua.typeError(1, expected: "payload") }
        lua.top = 1
        lua.getUserValue(1, 1)
        lua.push(format(of: lua, value: 2))
        return 1
    }

    /// `p:transcode(format) -> Payload, nil | nil, err`.
    static let transcode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .payload) != nil else { return lua.typeError(1, expected: "payload") }
        guard let target = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        let worker = LuaWorkerState.of(lua)
        lua.top = 2
        // The plain Lua value (index 3), whatever the current format.
        lua.push(native: data)
        lua.pushValue(at: 1)
        if let error = lua.protectedCall(arguments: 1, results: 2) { return worker.fail(.internal(error.message), on: lua) }
        if !lua.isNil(at: 4) {
            lua.remove(at: 3)
            return 2
        }
        lua.pop()
        func refuse(_ message: String) -> Int32 {
            var error = WippyError(message, kind: .internal, retryable: false)
            error.context.append("transcode failed")
            return worker.fail(error, on: lua)
        }
        switch target {
        case PayloadFormat.lua, PayloadFormat.golang:
            worker.pushPayloadObject(valueAt: 3, format: target, on: lua)
        case PayloadFormat.error:
            guard lua.taggedUserdata(at: 3, .error) != nil else { return refuse("only error values have format \(target)") }
            worker.pushPayloadObject(valueAt: 3, format: target, on: lua)
        case PayloadFormat.json:
            let exported: Payload
            do throws(UnsendableValue) {
                exported = try LuaValueConverter.export(at: 3, in: lua, state: worker)
            } catch {
                return refuse(error.error(action: "encode", root: "value").message)
            }
            do throws(WippyError) {
                lua.push(bytes: try JSONCodec.encode(exported))
            } catch {
                return refuse(error.message)
            }
            worker.pushPayloadObject(valueAt: -1, format: target, on: lua)
        case PayloadFormat.text, PayloadFormat.bytes:
            switch lua.type(at: 3) {
            case .string: break
            case .number where target == PayloadFormat.text: _ = lua.coerceToString(at: 3)
            default: return refuse("cannot transcode a \(lua.typeName(at: 3)) to \(target)")
            }
            worker.pushPayloadObject(valueAt: 3, format: target, on: lua)
        default:
            return refuse("no transcoder from lua/any to \(target)")
        }
        lua.pushNil()
        return 2
    }

    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .payload) != nil else {
            lua.push("payload")
            return 1
        }
        lua.top = 1
        lua.getUserValue(1, 1)
        lua.push("payload{format=\(format(of: lua, value: 2))}")
        return 1
    }
}
