/// `UPDATE table SET col = ?, ... [FROM source] [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n]
/// [suffixes]`: the model of `sql.builder.update` (lua-api-io §7.1).
public struct SQLUpdate<Value: Sendable>: Sendable {
    /// The FROM of an update: a table, or a select under an alias (`(SELECT ...) AS alias`).
    public enum Source: Sendable {
        case table(String)
        case select(SQLSelect<Value>, alias: String)
    }

    public var table: String?
    /// In order; a value may be an expression (`expr("NOW()")`), a select is written in parentheses.
    public var assignments: [(column: String, value: SQLArgument<Value>)] = []
    public var source: Source?
    public var wheres: [SQLExpression<Value>] = []
    public var orderBy: [String] = []
    public var limit: UInt64?
    public var offset: UInt64?
    public var suffixes: [SQLExpression<Value>] = []
    public var placeholderFormat: SQLPlaceholderFormat = .question

    public init(table: String? = nil) { self.table = table }

    /// `set_map`: one assignment per key, keys sorted, after the ones already made.
    public mutating func setMap(_ entries: [(column: String, value: SQLArgument<Value>)]) {
        assignments += entries.sorted { $0.column.utf8.lexicographicallyPrecedes($1.column.utf8) }
    }

    public func render(format: SQLPlaceholderFormat? = nil) throws(SQLBuilderError) -> SQLQuery<Value> {
        var writer = SQLWriter<Value>()
        let sql = try write(into: &writer)
        return SQLQuery(sql: (format ?? placeholderFormat).apply(to: sql), arguments: writer.arguments)
    }

    func write(into writer: inout SQLWriter<Value>) throws(SQLBuilderError) -> String {
        guard let table, !table.isEmpty else { throw SQLBuilderError("update needs a table (update(t) or table(t))") }
        guard !assignments.isEmpty else { throw SQLBuilderError("update needs at least one set(column, value) or set_map") }
        var sets: [String] = []
        for assignment in assignments {
            sets.append("\(assignment.column) = \(try writer.writeValue(assignment.value, parenthesizeSelect: true))")
        }
        var sql = "UPDATE \(table) SET " + sets.joined(separator: ", ")
        switch source {
        case .table(let name): sql += " FROM \(name)"
        case .select(let select, let alias): sql += " FROM (\(try select.write(into: &writer))) AS \(alias)"
        case nil: break
        }
        SQLClauses.append(" WHERE ", try writer.writeList(wheres, separator: " AND "), to: &sql)
        SQLClauses.appendTail(orderBy: orderBy, limit: limit, offset: offset, to: &sql)
        SQLClauses.append(" ", try writer.writeList(suffixes, separator: " "), to: &sql)
        return sql
    }
}
