import WippyCodecs
import WippyCore
public import WippyLua
public import WippyRuntime

/// The `json` module (lua-api-core §16.1): `encode`, `decode`, and JSON Schema validation (`validate`,
/// `validate_string`, see ``WippyCodecs/JSONSchema``). Every error it returns has `retryable() == false`: the
/// same input fails the same way again.
public struct JSONModule: LuaModule {
    public let name = "json"
    public let classes: Set<ModuleClass> = [.deterministic]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 4)
        lua.setFunctions([
            ("encode", Self.encode), ("decode", Self.decode), ("validate", Self.validate),
            ("validate_string", Self.validateString),
        ], in: -1)
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
            return worker.fail(error.notRetryable, context: "encode failed", on: lua)
        }
    }

    /// `json.decode(text) -> value, nil | nil, err`: non-strings and `""` are `Invalid`, syntax errors
    /// `Internal` with context "decode failed". Integral numbers become integers; `{}` stays an object.
    static let decode: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let bytes = lua.bytes(at: 1) else { return worker.fail(WippyError.invalid("string expected").notRetryable, on: lua) }
        do throws(WippyError) {
            let value = try JSONCodec.decode(bytes)
            LuaValueConverter.push(value, on: lua, state: worker)
            lua.pushNil()
            return 2
        } catch {
            if error.kind == .invalid { return worker.fail(error.notRetryable, on: lua) }
            return worker.fail(error.notRetryable, context: "decode failed", on: lua)
        }
    }

    /// `json.validate(schema, data) -> true | false, err`: `schema` is a Lua table or JSON text, `data` a Lua
    /// value (tables follow Wippy's table rule: positive integer keys make an array, anything else an object).
    /// A schema that does not compile and data that does not validate are both `Invalid`.
    static let validate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            let schema = try JSONSchema.compiled(try schemaPayload(at: 1, lua: lua, state: worker))
            try schema.validate(JSONSchema.jsonShaped(LuaValueConverter.payload(at: 2, in: lua, state: worker)))
            lua.push(true)
            return 1
        } catch {
            return refuse(error, worker, lua)
        }
    }

    /// `json.validate_string(schema, json) -> true | false, err`: validates JSON text (`Invalid` when it does not
    /// parse).
    static let validateString: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let bytes = lua.bytes(at: 2) else { return lua.typeError(2, expected: "string") }
        do throws(WippyError) {
            let schema = try JSONSchema.compiled(try schemaPayload(at: 1, lua: lua, state: worker))
            let data: Payload
            do throws(WippyError) {
                data = try JSONCodec.decode(bytes)
            } catch {
                throw WippyError("invalid JSON: \(error.message)", kind: .invalid, retryable: false)
            }
            try schema.validate(data)
            lua.push(true)
            return 1
        } catch {
            return refuse(error, worker, lua)
        }
    }

    /// The schema argument: JSON text, or a Lua table read with Wippy's table rule.
    private static func schemaPayload(at index: Int32, lua: Lua, state: LuaWorkerState) throws(WippyError) -> Payload {
        switch lua.type(at: index) {
        case .string:
            do throws(WippyError) {
                return try JSONCodec.decode(lua.bytes(at: index) ?? [])
            } catch {
                throw WippyError("invalid schema: \(error.message)", kind: .invalid, retryable: false)
            }
        case .table:
            return JSONSchema.jsonShaped(LuaValueConverter.payload(at: index, in: lua, state: state))
        case .boolean:
            return .bool(lua.bool(at: index))
        default:
            throw WippyError("invalid schema: a table or JSON string expected, got \(lua.typeName(at: index))", kind: .invalid, retryable: false)
        }
    }

    /// `false, err` with `err` of kind `Invalid`, not retryable.
    private static func refuse(_ error: WippyError, _ worker: LuaWorkerState, _ lua: Lua) -> Int32 {
        var error = error.notRetryable
        error.kind = .invalid
        lua.push(false)
        worker.pushError(error, on: lua)
        return 2
    }
}

extension WippyError {
    /// This error with `retryable == false`.
    var notRetryable: WippyError {
        var copy = self
        copy.retryable = false
        return copy
    }
}
