/// A value that crosses a boundary: between processes, into a function call, out of a YAML file,
/// into or out of JSON.
///
/// `Payload` is a plain value tree, so it is `Sendable` and can be handed to another thread. Lua tables
/// become ``PayloadTable``s; a table reached twice (shared or cyclic) is written once and referred to again
/// with ``reference(_:)``, the index of the table in depth-first order of first visit.
///
/// Strings keep their exact bytes: text that is valid UTF-8 is stored as ``string(_:)``, anything else as
/// ``bytes(_:)``. Both become Lua strings again on the other side.
public enum Payload: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    indirect case table(PayloadTable)
    /// The `n`-th table (0-based, depth-first order of first visit) of the enclosing payload, seen again.
    case reference(Int)
    indirect case error(WippyError)
}

extension Payload {
    /// The deepest table nesting a payload made from a Lua value may have: a message, spawn or call argument,
    /// result, event or context value with a table nested inside `maximumDepth` tables is refused (it would
    /// otherwise cost unbounded native stack to copy). The one limit the Lua copy paths and the converters
    /// share.
    public static let maximumDepth = 200

    /// The string value when this is a string (or byte string that happens to be UTF-8).
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return UTF8Text.string(b)
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// An integer, also accepting floats with an integral value.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var tableValue: PayloadTable? {
        if case .table(let t) = self { return t }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value stored under a string key, when this is a table.
    public subscript(key: String) -> Payload? {
        tableValue?[key]
    }

    /// Builds a map payload from string keys, in the given order.
    public static func map(_ pairs: [(String, Payload)]) -> Payload {
        .table(PayloadTable(fields: pairs.map { PayloadField(key: .string($0.0), value: $0.1) }))
    }

    /// Builds an array payload.
    public static func array(_ items: [Payload]) -> Payload {
        .table(PayloadTable(array: items))
    }
}

extension Payload: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension Payload: CustomStringConvertible {
    /// A compact, human-readable rendering for logs and error messages (not JSON).
    public var description: String {
        switch self {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .table(let t): return t.description
        case .reference(let n): return "<table #\(n)>"
        case .error(let e): return e.message
        }
    }
}
