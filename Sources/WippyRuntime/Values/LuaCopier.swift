import WippyCore
import WippyLua

/// Deep copies of Lua values between threads of one Lua state: what a message between two processes of the
/// same worker needs, without going through ``WippyCore/Payload``.
///
/// The rules are those of ``LuaValueConverter/export(at:in:state:)``: scalars and strings as they are (strings
/// are immutable, so the same string is shared), tables copied with shared and cyclic tables preserved, error
/// objects kept; a function, coroutine, channel or other userdata, or a table nested deeper than
/// ``WippyCore/Payload/maximumDepth``, throws ``UnsendableValue`` (the caller then drops what was pushed on
/// the target). Metatables are not copied, except the JSON object mark.
struct LuaCopier {
    // unowned(unsafe): a copier lives for one send, on the worker that owns the state.
    unowned(unsafe) let state: LuaWorkerState
    /// Copied tables by identity, for shared and cyclic structure: source table → index in `copies`.
    private var seen: [UnsafeRawPointer: Int32] = [:]
    /// A scratch table on the target holding the copies (only created for nested tables).
    private var copies: Int32 = 0
    private var copyCount: Int64 = 0

    init(state: LuaWorkerState) {
        self.state = state
    }

    /// True when the value at `index` can be copied by just moving it (no table, no userdata).
    @inline(__always)
    static func isPlain(_ lua: Lua, _ index: Int32) -> Bool {
        switch lua.type(at: index) {
        case .nil, .none, .boolean, .number, .string: return true
        default: return false
        }
    }

    /// Pushes a copy of the value at `index` of `source` onto `target`.
    mutating func copy(_ index: Int32, from source: Lua, to target: Lua) throws(UnsendableValue) {
        switch source.type(at: index) {
        case .nil, .none, .boolean, .number, .string:
            source.pushValue(at: index)
            source.move(1, to: target)
        case .table:
            if copies == 0 {
                target.newTable()
                copies = target.top
            }
            try copyTable(source.absolute(index), from: source, to: target, depth: 0)
        default:
            // error objects are immutable: share them
            guard source.taggedUserdata(at: index, .error) != nil else {
                throw UnsendableValue(what: UnsendableValue.describe(at: index, in: source), isKey: false)
            }
            source.pushValue(at: index)
            source.move(1, to: target)
        }
    }

    /// Removes the scratch table, if one was made (call once after the last `copy`).
    mutating func finish(on target: Lua) {
        guard copies != 0 else { return }
        target.remove(at: copies)
        copies = 0
    }

    private mutating func copyTable(_ index: Int32, from source: Lua, to target: Lua, depth: Int) throws(UnsendableValue) {
        guard let identity = source.identity(at: index) else {
            target.pushNil()
            return
        }
        if let number = seen[identity] {
            target.rawGet(copies, index: Int64(number))
            return
        }
        guard depth < Payload.maximumDepth else { throw UnsendableValue.tooDeep }
        source.ensureStack(6)
        target.ensureStack(4)
        var index = index
        let frozen = state.pushReadOnlyContents(of: index, on: source)
        if frozen { index = source.top }
        defer { if frozen { source.remove(at: index) } }
        let length = LuaValueConverter.sequenceLength(of: index, in: source)
        target.newTable(arrayCapacity: Int32(clamping: length), fieldCapacity: 0)
        let table = target.top
        copyCount += 1
        seen[identity] = Int32(copyCount)
        target.pushValue(at: table)
        target.rawSet(copies, index: copyCount)
        source.pushNil()
        var empty = true
        while source.next(index) {
            empty = false
            // key at -2, value at -1 of source
            let keyIndex = source.top - 1
            do throws(UnsendableValue) {
                try copyElement(keyIndex, from: source, to: target, depth: depth)
            } catch {
                throw Self.keyFailure(error, keyIndex: keyIndex, in: source)
            }
            do throws(UnsendableValue) {
                try copyElement(source.top, from: source, to: target, depth: depth)
            } catch {
                var error = error
                error.enclose(keyAt: keyIndex, in: source)
                throw error
            }
            target.rawSet(table)
            source.pop()
        }
        if empty, state.isMarkedObject(at: index, on: source) { state.markObject(at: table, on: target) }
    }

    @inline(__always)
    private mutating func copyElement(_ index: Int32, from source: Lua, to target: Lua, depth: Int) throws(UnsendableValue) {
        if source.type(at: index) == .table {
            try copyTable(index, from: source, to: target, depth: depth + 1)
        } else {
            try copy(index, from: source, to: target)
        }
    }

    /// The failure of a key: the key itself cannot cross, or a table used as a key holds something that cannot.
    private static func keyFailure(_ error: UnsendableValue, keyIndex: Int32, in source: Lua) -> UnsendableValue {
        if source.type(at: keyIndex) == .table {
            var error = error
            error.enclose(in: .other("table key"))
            return error
        }
        return UnsendableValue(what: error.what, isKey: true)
    }
}
