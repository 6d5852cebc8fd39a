/// How a built statement writes the placeholders of its bound values (lua-api-io §7.1, §11.1).
///
/// Builders write `?` everywhere; the format rewrites them once, over the whole statement, when it is
/// rendered. In the numbered formats a doubled `??` stands for one literal `?` and is not numbered; the
/// question format leaves the text exactly as written.
public enum SQLPlaceholderFormat: String, Sendable, CaseIterable {
    /// `?` (the default; SQLite and MySQL).
    case question
    /// `$1`, `$2`, ... (PostgreSQL).
    case dollar
    /// `:1`, `:2`, ...
    case colon
    /// `@p1`, `@p2`, ...
    case at

    /// `sql` with its `?` placeholders written in this format.
    public func apply(to sql: String) -> String {
        let prefix: String
        switch self {
        case .question: return sql
        case .dollar: prefix = "$"
        case .colon: prefix = ":"
        case .at: prefix = "@p"
        }
        let question = UInt8(ascii: "?")
        let bytes = Array(sql.utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count + 8)
        var number = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == question else {
                output.append(byte)
                index += 1
                continue
            }
            if index + 1 < bytes.count, bytes[index + 1] == question {
                output.append(question)
                index += 2
                continue
            }
            number += 1
            output.append(contentsOf: prefix.utf8)
            output.append(contentsOf: String(number).utf8)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
