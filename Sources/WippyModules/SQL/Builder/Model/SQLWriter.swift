/// Writes expressions and statements as SQL text with `?` placeholders, collecting the bound values in
/// order. The placeholder format is applied afterwards, once, to the whole statement.
public struct SQLWriter<Value: Sendable> {
    public private(set) var arguments: [Value?] = []

    public init() {}

    /// Always-true and always-false conditions (an empty equality map or `and_`, an empty `or_`).
    static var alwaysTrue: String { "(1=1)" }
    static var alwaysFalse: String { "(1=0)" }

    public mutating func write(_ expression: SQLExpression<Value>) throws(SQLBuilderError) -> String {
        switch expression {
        case .text(let sql, let arguments):
            return try writeText(sql, arguments)
        case .equal(let entries, let negated):
            guard !entries.isEmpty else { return Self.alwaysTrue }
            return Self.sorted(entries).map { entry in
                guard let value = entry.value else { return "\(entry.column) \(negated ? "IS NOT" : "IS") NULL" }
                arguments.append(value)
                return "\(entry.column) \(negated ? "<>" : "=") ?"
            }.joined(separator: " AND ")
        case .compare(let entries, let comparison):
            var parts: [String] = []
            for entry in Self.sorted(entries) {
                guard let value = entry.value else {
                    throw SQLBuilderError("\(entry.column): NULL cannot be compared with \(comparison.rawValue)")
                }
                arguments.append(value)
                parts.append("\(entry.column) \(comparison.rawValue) ?")
            }
            return parts.joined(separator: " AND ")
        case .like(let entries, let negated):
            var parts: [String] = []
            for entry in Self.sorted(entries) {
                guard let value = entry.value else {
                    throw SQLBuilderError("\(entry.column): NULL cannot be used with \(negated ? "NOT LIKE" : "LIKE")")
                }
                arguments.append(value)
                parts.append("\(entry.column) \(negated ? "NOT LIKE" : "LIKE") ?")
            }
            return parts.joined(separator: " AND ")
        case .all(let parts):
            return try writeJunction(parts, separator: " AND ", empty: Self.alwaysTrue)
        case .any(let parts):
            return try writeJunction(parts, separator: " OR ", empty: Self.alwaysFalse)
        case .select(let select):
            return try select.write(into: &self)
        }
    }

    /// `sql` with expression arguments written in place of their `?` (a doubled `??` is literal text).
    mutating func writeText(_ sql: String, _ values: [SQLArgument<Value>]) throws(SQLBuilderError) -> String {
        let inline = values.contains { if case .expression = $0 { true } else { false } }
        guard inline else {
            for value in values { bind(value) }
            return sql
        }
        let question = UInt8(ascii: "?")
        let bytes = Array(sql.utf8)
        var output = [UInt8]()
        var remaining = values[...]
        var index = 0
        while index < bytes.count, let next = remaining.first {
            let byte = bytes[index]
            if byte != question {
                output.append(byte)
                index += 1
                continue
            }
            if index + 1 < bytes.count, bytes[index + 1] == question {
                output.append(contentsOf: [question, question])
                index += 2
                continue
            }
            remaining.removeFirst()
            index += 1
            if case .expression(let expression) = next {
                output.append(contentsOf: try write(expression).utf8)
            } else {
                output.append(question)
                bind(next)
            }
        }
        output.append(contentsOf: bytes[index...])
        for value in remaining { try bindOrWrite(value) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Writes a value as `?` (binding it) or, for an expression, as its SQL; used for inserted and assigned
    /// values. A select is parenthesized when `parenthesizeSelect`.
    mutating func writeValue(_ value: SQLArgument<Value>, parenthesizeSelect: Bool = false) throws(SQLBuilderError) -> String {
        switch value {
        case .value, .null:
            bind(value)
            return "?"
        case .expression(.select(let select)) where parenthesizeSelect:
            return "(\(try select.write(into: &self)))"
        case .expression(let expression):
            return try write(expression)
        }
    }

    /// Writes `parts` joined by `separator`, skipping parts that write no text.
    mutating func writeList(_ parts: [SQLExpression<Value>], separator: String) throws(SQLBuilderError) -> String {
        var texts: [String] = []
        for part in parts {
            let text = try write(part)
            if !text.isEmpty { texts.append(text) }
        }
        return texts.joined(separator: separator)
    }

    private mutating func writeJunction(
        _ parts: [SQLExpression<Value>], separator: String, empty: String
    ) throws(SQLBuilderError) -> String {
        guard !parts.isEmpty else { return empty }
        let text = try writeList(parts, separator: separator)
        return text.isEmpty ? "" : "(\(text))"
    }

    private mutating func bind(_ value: SQLArgument<Value>) {
        switch value {
        case .value(let value): arguments.append(value)
        case .null: arguments.append(nil)
        case .expression: break
        }
    }

    /// An argument beyond the text's placeholders: a value is bound after the text's (the database reports
    /// the count mismatch); an expression has no `?` to be written in, which is an error.
    private mutating func bindOrWrite(_ value: SQLArgument<Value>) throws(SQLBuilderError) {
        if case .expression = value {
            throw SQLBuilderError("a condition argument has no ? placeholder to take its place")
        }
        bind(value)
    }

    /// Entries by column, comparing bytes (the order does not depend on the locale).
    private static func sorted(_ entries: [SQLColumnValue<Value>]) -> [SQLColumnValue<Value>] {
        entries.sorted { $0.column.utf8.lexicographicallyPrecedes($1.column.utf8) }
    }
}
