/// A piece of SQL with bound values: what the builder's conditions (`expr`, `eq`, `and_`, ...), `where`
/// strings, joins and suffixes are made of. `Value` is whatever the caller binds (the Lua layer keeps Lua
/// values); a `nil` value is SQL NULL.
public indirect enum SQLExpression<Value: Sendable>: Sendable {
    /// SQL text whose `?` placeholders take `arguments` in order. An argument that is itself an expression
    /// is written in place of its `?` (its own values bound there); arguments beyond the placeholders are
    /// bound after the text's.
    case text(String, [SQLArgument<Value>])
    /// `column = ?` for each entry (`<>` when negated), joined by AND, columns in sorted order; a NULL value
    /// is `column IS NULL` (`IS NOT NULL`). No entries: always true.
    case equal([SQLColumnValue<Value>], negated: Bool)
    /// `column < ?` (or `<=`, `>`, `>=`) for each entry, joined by AND, columns sorted. NULL is an error.
    case compare([SQLColumnValue<Value>], SQLComparison)
    /// `column LIKE ?` (`NOT LIKE`) for each entry, joined by AND, columns sorted. NULL is an error.
    case like([SQLColumnValue<Value>], negated: Bool)
    /// The parts joined by AND, in parentheses; no parts: always true.
    case all([SQLExpression<Value>])
    /// The parts joined by OR, in parentheses; no parts: always false.
    case any([SQLExpression<Value>])
    /// A select statement written in place (a subquery; placeholders stay `?` until the outer statement is
    /// rendered).
    case select(SQLSelect<Value>)
}

/// One bound value of an expression: a value, SQL NULL, or an expression written in its place.
public indirect enum SQLArgument<Value: Sendable>: Sendable {
    case value(Value)
    case null
    case expression(SQLExpression<Value>)
}

/// A column and its value in an equality, comparison or LIKE map (`nil`: NULL).
public struct SQLColumnValue<Value: Sendable>: Sendable {
    public var column: String
    public var value: Value?

    public init(_ column: String, _ value: Value?) {
        self.column = column
        self.value = value
    }
}

/// The operator of ``SQLExpression/compare(_:_:)``.
public enum SQLComparison: String, Sendable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// Why a statement could not be written (returned to Lua as an `INVALID` error).
public struct SQLBuilderError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A rendered statement: its SQL text and the values its placeholders take, in order (`nil`: NULL).
public struct SQLQuery<Value: Sendable>: Sendable {
    public var sql: String
    public var arguments: [Value?]
}
