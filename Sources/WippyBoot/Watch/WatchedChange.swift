/// A path under a watched directory that was written, created, renamed or removed.
public struct WatchedChange: Sendable, Hashable, CustomStringConvertible {
    /// Absolute path.
    public var path: String
    /// The path is (or was) a directory: something inside it may have changed.
    public var isDirectory: Bool

    public init(path: String, isDirectory: Bool = false) {
        self.path = path
        self.isDirectory = isDirectory
    }

    public var description: String { isDirectory ? path + "/" : path }
}
