import WippyCodecs
import WippyCore
public import WippyLua
public import WippyRuntime

/// The `uuid` module (lua-api-io §6.3): generation (v1, v3, v4, v5, v7), validation and inspection.
///
/// Generators return the canonical lowercase string. Everything else returns `value` or `nil, err` with
/// kind `Invalid`; `validate` returns a plain boolean.
public struct UUIDModule: LuaModule {
    public let name = "uuid"
    public let classes: Set<ModuleClass> = [.workflow]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 10)
        lua.setFunctions(
            [
                ("v1", Self.v1), ("v3", Self.v3), ("v4", Self.v4), ("v5", Self.v5), ("v7", Self.v7),
                ("validate", Self.validate), ("version", Self.version), ("variant", Self.variant),
                ("parse", Self.parse), ("format", Self.format),
            ], in: -1)
    }

    // In a workflow run, v1, v4 and v7 take their time and randomness from the run (replayed alike).

    static let v1: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaProcess.current(lua)?.determinism?.uuidV1() ?? UUIDCodec.v1())
        return 1
    }

    static let v4: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaProcess.current(lua)?.determinism?.uuidV4() ?? UUIDCodec.v4())
        return 1
    }

    static let v7: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaProcess.current(lua)?.determinism?.uuidV7() ?? UUIDCodec.v7())
        return 1
    }

    /// Runs a throwing codec call on the string argument at index 1, pushing its result or `nil, err`.
    static func withUUID(_ lua: Lua, _ body: (String) throws(WippyError) -> Void) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        guard let text = lua.string(at: 1) else { return worker.fail(.invalid("UUID must be a string"), on: lua) }
        do throws(WippyError) {
            try body(text)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// `v3`/`v5`: both arguments must be strings and the namespace a valid UUID.
    static func nameBased(_ lua: Lua, _ make: (String, [UInt8]) throws(WippyError) -> String) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        guard let namespace = lua.string(at: 1) else { return worker.fail(.invalid("namespace must be a string"), on: lua) }
        guard let name = lua.bytes(at: 2) else { return worker.fail(.invalid("name must be a string"), on: lua) }
        do throws(WippyError) {
            lua.push(try make(namespace, name))
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    static let v3: LuaNativeFunction = { state in
        nameBased(Lua(state!)) { namespace, name throws(WippyError) in try UUIDCodec.v3(namespace: namespace, name: name) }
    }

    static let v5: LuaNativeFunction = { state in
        nameBased(Lua(state!)) { namespace, name throws(WippyError) in try UUIDCodec.v5(namespace: namespace, name: name) }
    }

    static let validate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(lua.string(at: 1).map(UUIDCodec.validate) ?? false)
        return 1
    }

    static let version: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withUUID(lua) { text throws(WippyError) in lua.push(Int64(try UUIDCodec.version(text))) }
    }

    static let variant: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withUUID(lua) { text throws(WippyError) in lua.push(try UUIDCodec.variant(text)) }
    }

    static let parse: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        return withUUID(lua) { text throws(WippyError) in
            LuaValueConverter.push(try UUIDCodec.parse(text), on: lua, state: worker)
        }
    }

    /// `uuid.format(s, [style])`: `standard` (default), `simple` or `urn`.
    static let format: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var style = "standard"
        if !lua.isNil(at: 2) {
            guard let given = lua.string(at: 2) else {
                return LuaWorkerState.of(lua).fail(.invalid("format must be a string"), on: lua)
            }
            style = given
        }
        return withUUID(lua) { text throws(WippyError) in lua.push(try UUIDCodec.format(text, style: style)) }
    }
}
