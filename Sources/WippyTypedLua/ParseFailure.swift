/// The internal error thrown by the lexer and parser: a message and the byte offset it refers to.
///
/// Converting the offset to a line and column needs a scan of the source, so it happens once, in
/// ``TypedLuaSyntaxError/init(_:source:chunkName:)``.
struct ParseFailure: Error, Sendable {
    var offset: Int
    var message: String
}
