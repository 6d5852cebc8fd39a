/// A failure reported by Lua: a syntax error while loading a chunk, or an error raised while running one.
public struct LuaError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: LuaStatus
    /// The error message (for non-string error values, their `tostring`).
    public var message: String

    public init(status: LuaStatus, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
