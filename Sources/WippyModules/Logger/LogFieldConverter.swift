import Logging
import WippyCore
import WippyLua
import WippyRuntime

/// Turns Lua log fields into swift-log metadata.
///
/// Strings stay strings; integers, floats and booleans keep their type (as `.stringConvertible` of `Int64`,
/// `Double` and `Bool`); error objects become their message; sequences become arrays and other tables
/// dictionaries (keys as text); anything else becomes its `tostring`. Nesting deeper than ``maximumDepth``
/// (including cycles) is cut off as `"<nested too deep>"`.
enum LogFieldConverter {
    static let maximumDepth = 16

    /// Adds the entries of the table at `index` to `metadata` (later entries win).
    static func merge(tableAt index: Int32, into metadata: inout Logger.Metadata, lua: Lua, state: LuaWorkerState) {
        let table = lua.absolute(index)
        lua.pushNil()
        while lua.next(table) {
            if let key = keyText(at: -2, lua: lua) {
                metadata[key] = value(at: -1, lua: lua, state: state, depth: 0)
            }
            lua.pop()
        }
    }

    /// The metadata value of the Lua value at `index`.
    static func value(at index: Int32, lua: Lua, state: LuaWorkerState, depth: Int) -> Logger.Metadata.Value {
        switch lua.type(at: index) {
        case .string:
            return .string(lua.string(at: index) ?? "")
        case .number:
            if lua.isInteger(at: index), let integer = lua.integer(at: index) { return .stringConvertible(integer) }
            return .stringConvertible(lua.number(at: index) ?? 0)
        case .boolean:
            return .stringConvertible(lua.bool(at: index))
        case .nil, .none:
            return .string("nil")
        case .table:
            return table(at: lua.absolute(index), lua: lua, state: state, depth: depth + 1)
        case .userdata:
            if let error = state.readError(at: index, on: lua) { return .string(error.message) }
            return .string(lua.toStringProtected(at: index))
        default:
            return .string(lua.toStringProtected(at: index))
        }
    }

    private static func table(at index: Int32, lua: Lua, state: LuaWorkerState, depth: Int) -> Logger.Metadata.Value {
        guard depth <= maximumDepth else { return .string("<nested too deep>") }
        lua.ensureStack(4)
        let length = LuaValueConverter.sequenceLength(of: index, in: lua)
        var array: [Logger.Metadata.Value] = []
        var dictionary: Logger.Metadata = [:]
        lua.pushNil()
        while lua.next(index) {
            if length > 0, lua.isInteger(at: -2), let key = lua.integer(at: -2), key >= 1, key <= Int64(length) {
                lua.pop()
                continue
            }
            if let key = keyText(at: -2, lua: lua) {
                dictionary[key] = value(at: -1, lua: lua, state: state, depth: depth)
            }
            lua.pop()
        }
        if length > 0 {
            for position in 1...length {
                lua.rawGet(index, index: Int64(position))
                array.append(value(at: -1, lua: lua, state: state, depth: depth))
                lua.pop()
            }
            guard !dictionary.isEmpty else { return .array(array) }
            for (offset, item) in array.enumerated() { dictionary[String(offset + 1)] = item }
        }
        return .dictionary(dictionary)
    }

    /// A table key as text (strings and numbers only).
    private static func keyText(at index: Int32, lua: Lua) -> String? {
        switch lua.type(at: index) {
        case .string, .number: return lua.stringCoercing(at: index)
        case .boolean: return lua.bool(at: index) ? "true" : "false"
        default: return nil
        }
    }
}
