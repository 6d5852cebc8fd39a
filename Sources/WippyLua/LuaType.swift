/// The basic type of a Lua value.
public enum LuaType: Int32, Sendable {
    case none = -1
    case `nil` = 0
    case boolean = 1
    case lightUserdata = 2
    case number = 3
    case string = 4
    case table = 5
    case function = 6
    case userdata = 7
    case thread = 8

    /// The name Lua uses for this type (`type(v)`).
    public var name: String {
        switch self {
        case .none: return "no value"
        case .nil: return "nil"
        case .boolean: return "boolean"
        case .lightUserdata, .userdata: return "userdata"
        case .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .function: return "function"
        case .thread: return "thread"
        }
    }
}

/// The status of a thread or of a call, as the C API reports it.
public enum LuaStatus: Int32, Sendable {
    case ok = 0
    case yield = 1
    case runtimeError = 2
    case syntaxError = 3
    case memoryError = 4
    case handlerError = 5

    public var isError: Bool { rawValue >= 2 }
}
