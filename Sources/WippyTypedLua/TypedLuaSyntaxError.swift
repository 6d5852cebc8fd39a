/// A syntax error in typed-Lua source, with its position and a message that says what to write instead.
///
/// ``description`` has the conventional compiler shape `chunk:line:column: message`, for example
/// `main.lua:3:14: expected type after ':'`. Lines are 1-based; columns are 1-based and count bytes.
public struct TypedLuaSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name of the translated chunk, usually a file path or an entry id.
    public var chunkName: String
    /// 1-based line of the offending token.
    public var line: Int
    /// 1-based byte column of the offending token.
    public var column: Int
    /// What is wrong, and where possible how to fix it.
    public var message: String

    public init(chunkName: String, line: Int, column: Int, message: String) {
        self.chunkName = chunkName
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(chunkName):\(line):\(column): \(message)" }
}

extension TypedLuaSyntaxError {
    /// Turns an internal failure (a byte offset) into a positioned error.
    init(_ failure: ParseFailure, source: [UInt8], chunkName: String) {
        let location = SourceLocation(offset: failure.offset, in: source)
        self.init(chunkName: chunkName, line: location.line, column: location.column, message: failure.message)
    }
}
