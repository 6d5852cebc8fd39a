/// The clauses several statement kinds share, read and written through the statement, so one builder
/// method serves every kind that has the clause. A kind without the clause reads it as empty and ignores
/// writes (the Lua layer only offers a method on the kinds that have it).
extension BuiltStatement {
    /// WHERE parts (select, update, delete).
    public var wheres: [SQLExpression<Value>] {
        get {
            switch self {
            case .select(let s): s.wheres
            case .update(let s): s.wheres
            case .delete(let s): s.wheres
            case .insert: []
            }
        }
        set {
            switch self {
            case .select(var s): s.wheres = newValue; self = .select(s)
            case .update(var s): s.wheres = newValue; self = .update(s)
            case .delete(var s): s.wheres = newValue; self = .delete(s)
            case .insert: break
            }
        }
    }

    /// ORDER BY columns (select, update, delete).
    public var orderBy: [String] {
        get {
            switch self {
            case .select(let s): s.orderBy
            case .update(let s): s.orderBy
            case .delete(let s): s.orderBy
            case .insert: []
            }
        }
        set {
            switch self {
            case .select(var s): s.orderBy = newValue; self = .select(s)
            case .update(var s): s.orderBy = newValue; self = .update(s)
            case .delete(var s): s.orderBy = newValue; self = .delete(s)
            case .insert: break
            }
        }
    }

    /// LIMIT (select, update, delete).
    public var limit: UInt64? {
        get {
            switch self {
            case .select(let s): s.limit
            case .update(let s): s.limit
            case .delete(let s): s.limit
            case .insert: nil
            }
        }
        set {
            switch self {
            case .select(var s): s.limit = newValue; self = .select(s)
            case .update(var s): s.limit = newValue; self = .update(s)
            case .delete(var s): s.limit = newValue; self = .delete(s)
            case .insert: break
            }
        }
    }

    /// OFFSET (select, update, delete).
    public var offset: UInt64? {
        get {
            switch self {
            case .select(let s): s.offset
            case .update(let s): s.offset
            case .delete(let s): s.offset
            case .insert: nil
            }
        }
        set {
            switch self {
            case .select(var s): s.offset = newValue; self = .select(s)
            case .update(var s): s.offset = newValue; self = .update(s)
            case .delete(var s): s.offset = newValue; self = .delete(s)
            case .insert: break
            }
        }
    }

    /// Text after the statement (every kind).
    public var suffixes: [SQLExpression<Value>] {
        get {
            switch self {
            case .select(let s): s.suffixes
            case .insert(let s): s.suffixes
            case .update(let s): s.suffixes
            case .delete(let s): s.suffixes
            }
        }
        set {
            switch self {
            case .select(var s): s.suffixes = newValue; self = .select(s)
            case .insert(var s): s.suffixes = newValue; self = .insert(s)
            case .update(var s): s.suffixes = newValue; self = .update(s)
            case .delete(var s): s.suffixes = newValue; self = .delete(s)
            }
        }
    }
}
