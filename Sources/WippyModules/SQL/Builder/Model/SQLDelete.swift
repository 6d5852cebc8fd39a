/// `DELETE FROM table [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n] [suffixes]`: the model of
/// `sql.builder.delete` (lua-api-io §7.1).
public struct SQLDelete<Value: Sendable>: Sendable {
    public var table: String?
    public var wheres: [SQLExpression<Value>] = []
    public var orderBy: [String] = []
    public var limit: UInt64?
    public var offset: UInt64?
    public var suffixes: [SQLExpression<Value>] = []
    public var placeholderFormat: SQLPlaceholderFormat = .question

    public init(table: String? = nil) { self.table = table }

    public func render(format: SQLPlaceholderFormat? = nil) throws(SQLBuilderError) -> SQLQuery<Value> {
        var writer = SQLWriter<Value>()
        guard let table, !table.isEmpty else { throw SQLBuilderError("delete needs a table (delete(t) or from(t))") }
        var sql = "DELETE FROM \(table)"
        SQLClauses.append(" WHERE ", try writer.writeList(wheres, separator: " AND "), to: &sql)
        SQLClauses.appendTail(orderBy: orderBy, limit: limit, offset: offset, to: &sql)
        SQLClauses.append(" ", try writer.writeList(suffixes, separator: " "), to: &sql)
        return SQLQuery(sql: (format ?? placeholderFormat).apply(to: sql), arguments: writer.arguments)
    }
}
