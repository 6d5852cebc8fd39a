/// `SELECT [DISTINCT] columns [FROM table] [joins] [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ...]
/// [LIMIT n] [OFFSET n] [suffixes]`: the model of `sql.builder.select` (lua-api-io §7.1).
///
/// A plain value: every builder method makes a changed copy. Several `where` (and `having`) parts are joined
/// by AND.
public struct SQLSelect<Value: Sendable>: Sendable {
    public var distinct = false
    public var columns: [String]
    public var table: String?
    /// Whole join clauses (`JOIN t ON ...`, `LEFT JOIN ...`), in order.
    public var joins: [SQLExpression<Value>] = []
    public var wheres: [SQLExpression<Value>] = []
    public var groupBy: [String] = []
    public var havings: [SQLExpression<Value>] = []
    public var orderBy: [String] = []
    public var limit: UInt64?
    public var offset: UInt64?
    public var suffixes: [SQLExpression<Value>] = []
    public var placeholderFormat: SQLPlaceholderFormat = .question

    public init(columns: [String] = []) { self.columns = columns }

    /// The statement in its placeholder format, or in `format` when given (a PostgreSQL handle's `$n`).
    public func render(format: SQLPlaceholderFormat? = nil) throws(SQLBuilderError) -> SQLQuery<Value> {
        var writer = SQLWriter<Value>()
        let sql = try write(into: &writer)
        return SQLQuery(sql: (format ?? placeholderFormat).apply(to: sql), arguments: writer.arguments)
    }

    /// The statement with `?` placeholders, its values added to `writer` (also how it is written as a subquery).
    func write(into writer: inout SQLWriter<Value>) throws(SQLBuilderError) -> String {
        guard !columns.isEmpty else { throw SQLBuilderError("select needs at least one column") }
        var sql = distinct ? "SELECT DISTINCT " : "SELECT "
        sql += columns.joined(separator: ", ")
        if let table { sql += " FROM \(table)" }
        SQLClauses.append(" ", try writer.writeList(joins, separator: " "), to: &sql)
        SQLClauses.append(" WHERE ", try writer.writeList(wheres, separator: " AND "), to: &sql)
        SQLClauses.append(" GROUP BY ", groupBy.joined(separator: ", "), to: &sql)
        SQLClauses.append(" HAVING ", try writer.writeList(havings, separator: " AND "), to: &sql)
        SQLClauses.appendTail(orderBy: orderBy, limit: limit, offset: offset, to: &sql)
        SQLClauses.append(" ", try writer.writeList(suffixes, separator: " "), to: &sql)
        return sql
    }
}

/// Clause helpers the statements share.
enum SQLClauses {
    /// Appends `keyword` and `text` unless `text` is empty.
    static func append(_ keyword: String, _ text: String, to sql: inout String) {
        guard !text.isEmpty else { return }
        sql += keyword
        sql += text
    }

    /// ` ORDER BY a, b LIMIT n OFFSET m`, each part only when set.
    static func appendTail(orderBy: [String], limit: UInt64?, offset: UInt64?, to sql: inout String) {
        append(" ORDER BY ", orderBy.joined(separator: ", "), to: &sql)
        if let limit { sql += " LIMIT \(limit)" }
        if let offset { sql += " OFFSET \(offset)" }
    }
}
