import WippyCore
import WippyLua

/// One Lua → ``WippyCore/Payload`` copy (see ``LuaValueConverter``).
///
/// Strict: a value that cannot cross throws ``UnsendableValue``, and each enclosing table adds its step while
/// it unwinds (nothing is spent on paths when the copy succeeds). Lenient: such values become nil and fields
/// whose key cannot cross are dropped. The caller restores the stack top after a throw.
struct LuaExporter {
    let lua: Lua
    let state: LuaWorkerState?
    let strict: Bool
    /// Tables met so far by identity → their number in depth-first order of first visit.
    private var seen: [UnsafeRawPointer: Int] = [:]

    init(lua: Lua, state: LuaWorkerState?, strict: Bool) {
        self.lua = lua
        self.state = state
        self.strict = strict
    }

    /// The payload of the value at `index` (the outermost value: a table there is at depth 0).
    @inline(__always)
    mutating func value(at index: Int32) throws(UnsendableValue) -> Payload {
        switch lua.type(at: index) {
        case .nil, .none: return .null
        case .boolean: return .bool(lua.bool(at: index))
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) { return .int(value) }
            return .double(lua.number(at: index) ?? 0)
        case .string:
            if let payload = LuaValueConverter.stringPayload(at: index, in: lua) { return payload }
            if strict { throw UnsendableValue(refusedBytes: lua.rawLength(at: index)) }
            return .null
        case .table:
            return try table(at: lua.absolute(index), depth: 0)
        case .userdata:
            if let state, let error = state.readError(at: index, on: lua) { return .error(error) }
            return try refuse(at: index)
        default:
            return try refuse(at: index)
        }
    }

    /// A value that cannot cross: thrown when strict, nil otherwise.
    private func refuse(at index: Int32, isKey: Bool = false) throws(UnsendableValue) -> Payload {
        if strict { throw UnsendableValue(what: UnsendableValue.describe(at: index, in: lua), isKey: isKey) }
        return .null
    }

    @inline(__always)
    private mutating func element(at index: Int32, depth: Int) throws(UnsendableValue) -> Payload {
        if lua.type(at: index) == .table { return try table(at: lua.absolute(index), depth: depth + 1) }
        return try value(at: index)
    }

    private mutating func table(at index: Int32, depth: Int) throws(UnsendableValue) -> Payload {
        guard let identity = lua.identity(at: index) else { return .null }
        if let number = seen[identity] { return .reference(number) }
        guard depth < Payload.maximumDepth else {
            if strict { throw UnsendableValue.tooDeep }
            return .null
        }
        seen[identity] = seen.count
        lua.ensureStack(6)
        // A frozen table keeps its contents behind its metatable: copy those.
        var index = index
        let frozen = state?.pushReadOnlyContents(of: index, on: lua) ?? false
        if frozen { index = lua.top }
        defer { if frozen { lua.remove(at: index) } }
        let length = LuaValueConverter.sequenceLength(of: index, in: lua)
        var result = PayloadTable()
        if length > 0 {
            result.array.reserveCapacity(length)
            for position in 1...length {
                lua.rawGet(index, index: Int64(position))
                do throws(UnsendableValue) {
                    result.array.append(try element(at: -1, depth: depth))
                } catch {
                    var error = error
                    error.enclose(in: .index(Int64(position)))
                    throw error
                }
                lua.pop()
            }
        }
        lua.pushNil()
        while lua.next(index) {
            // key at -2, value at -1
            if lua.isInteger(at: -2), let key = lua.integer(at: -2), key >= 1, key <= Int64(length) {
                lua.pop()
                continue
            }
            let keyIndex = lua.top - 1
            let key: Payload
            switch lua.type(at: keyIndex) {
            case .table:
                do throws(UnsendableValue) {
                    key = try table(at: keyIndex, depth: depth + 1)
                } catch {
                    var error = error
                    error.enclose(in: .other("table key"))
                    throw error
                }
            case .userdata, .function, .thread, .lightUserdata:
                if let state, let error = state.readError(at: keyIndex, on: lua) {
                    key = .error(error)
                } else {
                    key = try refuse(at: keyIndex, isKey: true)
                }
            default:
                key = try value(at: keyIndex)
            }
            if case .null = key {
                // Lenient only: a key that cannot cross drops the field, value unconverted, so the numbering
                // of shared tables matches what the receiver rebuilds.
                lua.pop()
                continue
            }
            let value: Payload
            do throws(UnsendableValue) {
                value = try element(at: -1, depth: depth)
            } catch {
                var error = error
                error.enclose(keyAt: keyIndex, in: lua)
                throw error
            }
            lua.pop()
            result.fields.append(PayloadField(key: key, value: value))
        }
        if !result.fields.isEmpty {
            result.isObject = true
        } else if length == 0, let state, state.isMarkedObject(at: index, on: lua) {
            result.isObject = true
        }
        return .table(result)
    }
}
