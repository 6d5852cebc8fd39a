public import WippyCore
import WippyLua

/// A Lua value that cannot leave its process (a function, a coroutine, a channel or another userdata that is
/// not an error object, a table nested deeper than ``WippyCore/Payload/maximumDepth``), and where it sits
/// inside what was being sent.
///
/// The copy paths throw it from the innermost level; each enclosing table adds its step while the error
/// unwinds, so nothing is spent on paths when the copy succeeds.
public struct UnsendableValue: Error, Sendable {
    /// What was found: `"a function"`, `"a coroutine"`, `"a channel"`, ...
    let what: String
    /// True when the bad value was a table key rather than a value.
    let isKey: Bool
    /// Steps from the outermost value down to the bad one, innermost first.
    private(set) var steps: [Step] = []
    /// Which of several values sent together held it (1-based), when the copy path tracks that.
    var argument: Int32?

    enum Step: Sendable {
        case index(Int64)
        case field(String)
        case other(String)
    }

    /// Bytes of a string whose copy the system refused (the value could cross, but not now); nil otherwise.
    let refusedBytes: Int?

    init(what: String, isKey: Bool = false) {
        self.what = what
        self.isKey = isKey
        self.refusedBytes = nil
    }

    /// A string of `refusedBytes` bytes whose copy the system refused (``LuaValueConverter/checkedCopySize``).
    init(refusedBytes: Int) {
        self.what = "a string of \(refusedBytes) bytes"
        self.isKey = false
        self.refusedBytes = refusedBytes
    }

    /// A table nested deeper than the payload limit.
    static let tooDeep = UnsendableValue(what: "a table nested deeper than \(Payload.maximumDepth) levels")

    /// Adds the step of the enclosing table (called while unwinding).
    mutating func enclose(in step: Step) { steps.append(step) }

    /// Adds the step for the key at `index` of `lua` (a string, number or other key).
    mutating func enclose(keyAt index: Int32, in lua: Lua) {
        switch lua.type(at: index) {
        case .string: enclose(in: .field(lua.string(at: index) ?? "?"))
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) {
                enclose(in: .index(value))
            } else {
                enclose(in: .other(lua.stringCoercing(at: index) ?? "?"))
            }
        case .boolean: enclose(in: .other(lua.bool(at: index) ? "true" : "false"))
        default: enclose(in: .other(lua.typeName(at: index)))
        }
    }

    /// Where the value sits: `root` then the steps, e.g. `args[2].handler` (long paths are shortened).
    public func location(root: String) -> String {
        let path = Array(steps.reversed())
        var text = root
        func append(_ step: Step) {
            switch step {
            case .index(let n): text += "[\(n)]"
            case .field(let name):
                if Self.isIdentifier(name) { text += "." + name } else { text += "[\"\(name.prefix(40))\"]" }
            case .other(let description): text += "[\(description)]"
            }
        }
        if path.count <= 12 {
            path.forEach(append)
        } else {
            path.prefix(8).forEach(append)
            text += "...(\(path.count - 10) more)..."
            path.suffix(2).forEach(append)
        }
        return text
    }

    /// The error a caller returns: `cannot <action> a function (at args[2].handler)`, kind `Invalid`.
    /// A refused copy says so instead: `out of memory: the system refused memory to copy a string of N bytes
    /// (at args[2])`, kind `Internal`.
    public func error(action: String = "send", root: String) -> WippyError {
        if refusedBytes != nil {
            return WippyError(
                "out of memory: the system refused memory to copy \(what) (at \(location(root: root)))", kind: .internal,
                retryable: false)
        }
        let subject = isKey ? "\(what) used as a table key" : what
        return WippyError("cannot \(action) \(subject) (at \(location(root: root)))", kind: .invalid, retryable: false)
    }

    /// What the value at `index` is, for the message (called on the failure path only).
    static func describe(at index: Int32, in lua: Lua) -> String {
        switch lua.type(at: index) {
        case .function: return "a function"
        case .thread: return "a coroutine"
        case .lightUserdata: return "a light userdata"
        case .userdata:
            if lua.taggedUserdata(at: index, .channel) != nil { return "a channel" }
            if lua.getMetatable(index) {
                defer { lua.pop(2) }
                if lua.rawGet(-1, key: "__name") == .string, let name = lua.string(at: -1) { return "a \(name) value" }
                return "a userdata value"
            }
            return "a userdata value"
        default:
            return "a \(lua.typeName(at: index)) value"
        }
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }
}
