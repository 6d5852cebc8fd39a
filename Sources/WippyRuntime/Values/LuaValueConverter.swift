public import WippyCore
public import WippyLua

/// Copies values between Lua and ``Payload``: what crosses a process or function boundary.
///
/// Lua → payload is a deep copy: integers stay integers, floats stay floats, strings keep their bytes,
/// a table reached twice (shared or cyclic) is written once and then referenced, error objects survive,
/// and other userdata, functions and threads become nil.
public enum LuaValueConverter {
    /// Maximum table nesting copied; deeper tables become nil.
    static let maximumDepth = 200

    // MARK: - Lua → Payload

    public static func payload(at index: Int32, in lua: Lua, state: LuaWorkerState?) -> Payload {
        switch lua.type(at: index) {
        case .nil, .none: return .null
        case .boolean: return .bool(lua.bool(at: index))
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) { return .int(value) }
            return .double(lua.number(at: index) ?? 0)
        case .string:
            return stringPayload(at: index, in: lua)
        case .table:
            var seen: [UnsafeRawPointer: Int] = [:]
            return tablePayload(at: lua.absolute(index), in: lua, state: state, seen: &seen, depth: 0)
        case .userdata:
            if let state, let error = state.readError(at: index, on: lua) { return .error(error) }
            return .null
        default:
            return .null
        }
    }

    /// Payloads of the values at `first...last`.
    public static func payloads(from first: Int32, to last: Int32, in lua: Lua, state: LuaWorkerState?) -> [Payload] {
        guard last >= first else { return [] }
        var result: [Payload] = []
        result.reserveCapacity(Int(last - first + 1))
        for index in first...last { result.append(payload(at: index, in: lua, state: state)) }
        return result
    }

    @inline(__always)
    static func stringPayload(at index: Int32, in lua: Lua) -> Payload {
        lua.withBytes(at: index) { bytes -> Payload in
            let units = bytes.bindMemory(to: UInt8.self)
            // ASCII (PIDs, names, topics: most strings) needs no validation; the general validator is slow.
            if isASCII(bytes) { return .string(String(decoding: units, as: UTF8.self)) }
            if let text = String(validating: units, as: UTF8.self) { return .string(text) }
            return .bytes(Array(bytes))
        } ?? .null
    }

    /// True when every byte is below 0x80 (checked eight bytes at a time).
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        let count = bytes.count
        var accumulated: UInt64 = 0
        while offset + 8 <= count {
            accumulated |= bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < count {
            accumulated |= UInt64(bytes[offset])
            offset += 1
        }
        return accumulated & 0x8080_8080_8080_8080 == 0
    }

    private static func tablePayload(
        at index: Int32, in lua: Lua, state: LuaWorkerState?, seen: inout [UnsafeRawPointer: Int], depth: Int
    ) -> Payload {
        guard let identity = lua.identity(at: index) else { return .null }
        if let number = seen[identity] { return .reference(number) }
        guard depth < maximumDepth else { return .null }
        seen[identity] = seen.count
        lua.ensureStack(6)
        // A frozen table keeps its contents behind its metatable: copy those.
        var index = index
        let frozen = state?.pushReadOnlyContents(of: index, on: lua) ?? false
        if frozen { index = lua.top }
        defer { if frozen { lua.remove(at: index) } }
        let length = LuaValueConverter.sequenceLength(of: index, in: lua)
        var table = PayloadTable()
        if length > 0 {
            table.array.reserveCapacity(length)
            for i in 1...length {
                lua.rawGet(index, index: Int64(i))
                table.array.append(element(at: -1, in: lua, state: state, seen: &seen, depth: depth))
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
            let key = element(at: -2, in: lua, state: state, seen: &seen, depth: depth)
            if case .null = key {
                // A key that cannot cross (function, channel, ...) drops the field, value unconverted, so the
                // numbering of shared tables matches what the receiver rebuilds.
                lua.pop()
                continue
            }
            let value = element(at: -1, in: lua, state: state, seen: &seen, depth: depth)
            lua.pop()
            table.fields.append(PayloadField(key: key, value: value))
        }
        if !table.fields.isEmpty {
            table.isObject = true
        } else if length == 0, let state, state.isMarkedObject(at: index, on: lua) {
            table.isObject = true
        }
        return .table(table)
    }

    /// The length of the table's sequence part, trusting `#t` only when it is plausible: a border can be far
    /// beyond the number of entries (`{[1]=x, [2]=x, [4]=x, ..., [2^40]=x}` has `#t == 2^40`), so long
    /// borders are checked against a count of the entries, and a sparse table has no sequence part.
    public static func sequenceLength(of index: Int32, in lua: Lua) -> Int {
        let border = lua.rawLength(at: index)
        guard border > 1024 else { return border }
        var entries = 0
        lua.pushNil()
        while lua.next(index) {
            entries += 1
            lua.pop()
        }
        return entries >= border ? border : 0
    }

    @inline(__always)
    private static func element(
        at index: Int32, in lua: Lua, state: LuaWorkerState?, seen: inout [UnsafeRawPointer: Int], depth: Int
    ) -> Payload {
        if lua.type(at: index) == .table {
            return tablePayload(at: lua.absolute(index), in: lua, state: state, seen: &seen, depth: depth + 1)
        }
        return payload(at: index, in: lua, state: state)
    }

    // MARK: - Payload → Lua

    /// Pushes a fresh Lua value for `payload` on `lua`.
    public static func push(_ payload: Payload, on lua: Lua, state: LuaWorkerState) {
        switch payload {
        case .null: lua.pushNil()
        case .bool(let value): lua.push(value)
        case .int(let value): lua.push(value)
        case .double(let value): lua.push(value)
        case .string(let value): lua.push(value)
        case .bytes(let value): lua.push(bytes: value)
        case .error(let error): state.pushError(error, on: lua)
        case .reference: lua.pushNil()
        case .table(let table):
            if payload.containsReference {
                lua.newTable()
                let registry = lua.absolute(-1)
                var count = 0
                pushTable(table, on: lua, state: state, registry: registry, count: &count)
                lua.remove(at: registry)
            } else {
                var count = 0
                pushTable(table, on: lua, state: state, registry: nil, count: &count)
            }
        }
    }

    private static func pushTable(_ table: PayloadTable, on lua: Lua, state: LuaWorkerState, registry: Int32?, count: inout Int) {
        lua.ensureStack(4)
        lua.newTable(arrayCapacity: Int32(clamping: table.array.count), fieldCapacity: Int32(clamping: table.fields.count))
        let index = lua.top
        if let registry {
            lua.pushValue(at: index)
            lua.rawSet(registry, index: Int64(count))
        }
        count += 1
        for (offset, item) in table.array.enumerated() {
            pushElement(item, on: lua, state: state, registry: registry, count: &count)
            lua.rawSet(index, index: Int64(offset + 1))
        }
        for field in table.fields {
            switch field.key {
            case .null: continue
            case .double(let d) where d.isNaN: continue
            default: break
            }
            pushElement(field.key, on: lua, state: state, registry: registry, count: &count)
            pushElement(field.value, on: lua, state: state, registry: registry, count: &count)
            lua.rawSet(index)
        }
        if table.isObject && table.isEmpty { state.markObject(at: index, on: lua) }
    }

    @inline(__always)
    private static func pushElement(_ payload: Payload, on lua: Lua, state: LuaWorkerState, registry: Int32?, count: inout Int) {
        switch payload {
        case .table(let table): pushTable(table, on: lua, state: state, registry: registry, count: &count)
        case .reference(let n):
            if let registry { lua.rawGet(registry, index: Int64(n)) } else { lua.pushNil() }
        default: push(payload, on: lua, state: state)
        }
    }
}

extension Payload {
    /// True if a `.reference` occurs anywhere inside.
    var containsReference: Bool {
        switch self {
        case .reference: return true
        case .table(let table):
            return table.array.contains { $0.containsReference }
                || table.fields.contains { $0.key.containsReference || $0.value.containsReference }
        default: return false
        }
    }
}
