import WippyCore
import WippyLua
import WippyRuntime

/// Reads a Lua value as a ``WippyCore/Payload`` for `json.encode`, applying the rules the generic
/// ``WippyRuntime/LuaValueConverter`` does not know about:
///
/// - an empty table marked as an object (decoded from `{}`) becomes an empty *object*;
/// - a nil inside the sequence part (a hole) is `cannot encode sparse array`;
/// - a table that contains itself is `cannot encode recursive table` (a table shared without a cycle is simply
///   written again);
/// - nesting deeper than 128 tables is `json: nesting depth exceeds 128`;
/// - error objects become errors (written as their message), other userdata, functions and threads null.
///
/// Mixed keys and sparse integer keys outside the sequence part are left to ``WippyCodecs/JSONCodec``.
/// Every failure is a ``WippyCore/WippyError`` of kind `Internal`, with the codec's wording.
struct JSONValueReader {
    static let maximumDepth = 128

    private let lua: Lua
    private let state: LuaWorkerState
    /// Tables being read (ancestors of the current position).
    private var inProgress: Set<UnsafeRawPointer> = []

    init(lua: Lua, state: LuaWorkerState) {
        self.lua = lua
        self.state = state
    }

    /// The payload of the value at `index`.
    mutating func read(at index: Int32, depth: Int = 0) throws(WippyError) -> Payload {
        switch lua.type(at: index) {
        case .nil, .none: return .null
        case .boolean: return .bool(lua.bool(at: index))
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) { return .int(value) }
            return .double(lua.number(at: index) ?? .nan)
        case .string:
            return lua.withBytes(at: index) { bytes -> Payload in
                if let text = UTF8Text.string(bytes) { return .string(text) }
                return .bytes(Array(bytes))
            } ?? .null
        case .table:
            return try readTable(at: lua.absolute(index), depth: depth + 1)
        case .userdata:
            if let error = state.readError(at: index, on: lua) { return .error(error) }
            return .null
        default:
            return .null
        }
    }

    private mutating func readTable(at index: Int32, depth: Int) throws(WippyError) -> Payload {
        guard depth <= Self.maximumDepth else { throw .internal("json: nesting depth exceeds \(Self.maximumDepth)") }
        guard let identity = lua.identity(at: index) else { return .null }
        guard inProgress.insert(identity).inserted else { throw .internal("cannot encode recursive table") }
        defer { inProgress.remove(identity) }
        lua.ensureStack(6)
        let length = LuaValueConverter.sequenceLength(of: index, in: lua)
        var table = PayloadTable()
        if length > 0 {
            table.array.reserveCapacity(length)
            for position in 1...length {
                lua.rawGet(index, index: Int64(position))
                defer { lua.pop() }
                if lua.isNil(at: -1) { throw .internal("cannot encode sparse array") }
                table.array.append(try read(at: -1, depth: depth))
            }
        }
        lua.pushNil()
        while lua.next(index) {
            if lua.isInteger(at: -2), let key = lua.integer(at: -2), key >= 1, key <= Int64(length) {
                lua.pop()
                continue
            }
            let key: Payload
            let value: Payload
            do {
                key = try readKey(at: -2)
                value = try read(at: -1, depth: depth)
            } catch {
                lua.pop(2)
                throw error
            }
            lua.pop()
            table.fields.append(PayloadField(key: key, value: value))
        }
        if !table.fields.isEmpty || (length == 0 && state.isMarkedObject(at: index, on: lua)) { table.isObject = true }
        return .table(table)
    }

    /// A table key: strings, numbers and booleans have a JSON key form; anything else fails.
    private func readKey(at index: Int32) throws(WippyError) -> Payload {
        switch lua.type(at: index) {
        case .string:
            return .string(lua.string(at: index) ?? "")
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) { return .int(value) }
            return .double(lua.number(at: index) ?? .nan)
        case .boolean:
            return .bool(lua.bool(at: index))
        case let type:
            throw .internal("cannot encode table key of type \(type.name)")
        }
    }
}
