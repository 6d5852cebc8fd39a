/// Any of the four built statements (what a builder userdata holds).
public enum BuiltStatement<Value: Sendable>: Sendable {
    case select(SQLSelect<Value>)
    case insert(SQLInsert<Value>)
    case update(SQLUpdate<Value>)
    case delete(SQLDelete<Value>)

    public var placeholderFormat: SQLPlaceholderFormat {
        get {
            switch self {
            case .select(let s): s.placeholderFormat
            case .insert(let s): s.placeholderFormat
            case .update(let s): s.placeholderFormat
            case .delete(let s): s.placeholderFormat
            }
        }
        set {
            switch self {
            case .select(var s): s.placeholderFormat = newValue; self = .select(s)
            case .insert(var s): s.placeholderFormat = newValue; self = .insert(s)
            case .update(var s): s.placeholderFormat = newValue; self = .update(s)
            case .delete(var s): s.placeholderFormat = newValue; self = .delete(s)
            }
        }
    }

    /// The statement in its own placeholder format, or in `format` when given.
    public func render(format: SQLPlaceholderFormat? = nil) throws(SQLBuilderError) -> SQLQuery<Value> {
        switch self {
        case .select(let s): try s.render(format: format)
        case .insert(let s): try s.render(format: format)
        case .update(let s): try s.render(format: format)
        case .delete(let s): try s.render(format: format)
        }
    }
}
