/// `[prefixes] INSERT [options] INTO table [(columns)] VALUES (...),(...) [suffixes]`, or `... INTO table
/// [(columns)] SELECT ...`: the model of `sql.builder.insert` (lua-api-io §7.1).
public struct SQLInsert<Value: Sendable>: Sendable {
    public var prefixes: [SQLExpression<Value>] = []
    /// Words between INSERT and INTO (`OR REPLACE`, `IGNORE`).
    public var options: [String] = []
    public var table: String?
    public var columns: [String] = []
    /// One row per `values` call; an expression value is written in place of its `?`.
    public var rows: [[SQLArgument<Value>]] = []
    /// Rows from a query instead of `rows`.
    public var select: SQLSelect<Value>?
    public var suffixes: [SQLExpression<Value>] = []
    public var placeholderFormat: SQLPlaceholderFormat = .question

    public init(table: String? = nil) { self.table = table }

    /// `set_map`: the map's keys (sorted) become the columns and its values the only row.
    public mutating func setMap(_ entries: [(column: String, value: SQLArgument<Value>)]) {
        let sorted = entries.sorted { $0.column.utf8.lexicographicallyPrecedes($1.column.utf8) }
        columns = sorted.map(\.column)
        rows = [sorted.map(\.value)]
    }

    public func render(format: SQLPlaceholderFormat? = nil) throws(SQLBuilderError) -> SQLQuery<Value> {
        var writer = SQLWriter<Value>()
        let sql = try write(into: &writer)
        return SQLQuery(sql: (format ?? placeholderFormat).apply(to: sql), arguments: writer.arguments)
    }

    func write(into writer: inout SQLWriter<Value>) throws(SQLBuilderError) -> String {
        guard let table, !table.isEmpty else { throw SQLBuilderError("insert needs a table (insert(t) or into(t))") }
        guard !rows.isEmpty || select != nil else {
            throw SQLBuilderError("insert needs at least one row of values (values(...) or set_map) or a select")
        }
        var sql = ""
        SQLClauses.append("", try writer.writeList(prefixes, separator: " "), to: &sql)
        if !sql.isEmpty { sql += " " }
        sql += "INSERT "
        if !options.isEmpty { sql += options.joined(separator: " ") + " " }
        sql += "INTO \(table) "
        if !columns.isEmpty { sql += "(\(columns.joined(separator: ","))) " }
        if let select {
            sql += try select.write(into: &writer)
        } else {
            var texts: [String] = []
            for row in rows {
                var values: [String] = []
                for value in row { values.append(try writer.writeValue(value)) }
                texts.append("(\(values.joined(separator: ",")))")
            }
            sql += "VALUES " + texts.joined(separator: ",")
        }
        SQLClauses.append(" ", try writer.writeList(suffixes, separator: " "), to: &sql)
        return sql
    }
}
