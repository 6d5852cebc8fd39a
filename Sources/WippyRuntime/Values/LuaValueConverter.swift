public import WippyCore
public import WippyLua

/// Copies values between Lua and ``Payload``: what crosses a process or function boundary.
///
/// Lua → payload is a deep copy: integers stay integers, floats stay floats, strings keep their bytes,
/// a table reached twice (shared or cyclic) is written once and then referenced, error objects survive.
/// What cannot cross (functions, coroutines, channels and other userdata, tables nested deeper than
/// ``WippyCore/Payload/maximumDepth``) makes ``export(at:in:state:)`` fail with an ``UnsendableValue`` naming
/// it and where it sits: that is what every message, spawn, call, result and event uses. The lenient
/// ``payload(at:in:state:)`` turns such values into nil instead, for reading arguments that never travel
/// (registry filters, error details).
public enum LuaValueConverter {
    // MARK: - Lua → Payload

    /// The payload of the value at `index`, with values that cannot cross turned into nil (fields whose key
    /// cannot cross are dropped). For arguments that are only read, never sent.
    public static func payload(at index: Int32, in lua: Lua, state: LuaWorkerState?) -> Payload {
        var exporter = LuaExporter(lua: lua, state: state, strict: false)
        let top = lua.top
        do throws(UnsendableValue) {
            return try exporter.value(at: index)
        } catch {
            lua.top = top
            return .null
        }
    }

    /// The payload of the value at `index`, or the value that cannot cross and where it is.
    @inline(__always)
    public static func export(at index: Int32, in lua: Lua, state: LuaWorkerState?) throws(UnsendableValue) -> Payload {
        var exporter = LuaExporter(lua: lua, state: state, strict: true)
        let top = lua.top
        do throws(UnsendableValue) {
            return try exporter.value(at: index)
        } catch {
            lua.top = top
            throw error
        }
    }

    /// Payloads of the values at `first...last` (arguments, message payloads), or an `Invalid` error naming
    /// the first value that cannot cross: `cannot <action> a function (at <root>[2].handler)`, counting the
    /// values from 1.
    public static func export(
        from first: Int32, to last: Int32, in lua: Lua, state: LuaWorkerState?, action: String = "send",
        root: String = "args"
    ) -> Result<[Payload], WippyError> {
        guard last >= first else { return .success([]) }
        var result: [Payload] = []
        result.reserveCapacity(Int(last - first + 1))
        for index in first...last {
            do throws(UnsendableValue) {
                result.append(try export(at: index, in: lua, state: state))
            } catch {
                return .failure(error.error(action: action, root: "\(root)[\(index - first + 1)]"))
            }
        }
        return .success(result)
    }

    /// Strings from this size up are copied only after the system promised the memory
    /// (``WippyLua/Lua/hasRoom(forCopyOf:)``): a refused Swift allocation would abort the whole runtime, where
    /// a refused Lua one fails only the process. Below it, the check would cost more than it saves.
    static let checkedCopySize = 64 * 1024

    /// The payload of the string at `index`; nil when the string is large and the system refused memory for
    /// its copy.
    @inline(__always)
    static func stringPayload(at index: Int32, in lua: Lua) -> Payload? {
        let payload = lua.withBytes(at: index) { bytes -> Payload? in
            // 64 bytes over the text cover the storage header, terminator and rounding of a String or an Array
            if bytes.count >= checkedCopySize, !lua.hasRoom(forCopyOf: bytes.count + 64) { return nil }
            let units = bytes.bindMemory(to: UInt8.self)
            // ASCII (PIDs, names, topics: most strings) needs no validation; the general validator is slow.
            if isASCII(bytes) { return .string(String(decoding: units, as: UTF8.self)) }
            if UTF8Text.isValid(bytes) { return .string(String(decoding: units, as: UTF8.self)) }
            return .bytes(Array(bytes))
        }
        guard let payload else { return .null }  // not a string
        return payload
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
