/// A recorded version of the registry: its number, the version it was made from, and the changes that made it.
///
/// Versions form a tree: applying after a rollback makes a new child of the version rolled back to, and
/// numbers keep increasing.
public struct RegistryVersion: Sendable, Equatable, CustomStringConvertible {
    public var id: UInt64
    /// The version this one was applied on (0 for the first).
    public var parent: UInt64
    /// The changes, with originals filled in.
    public var changes: [RegistryChange]
    /// When it was made (Unix seconds).
    public var createdAt: Int64

    public init(id: UInt64, parent: UInt64, changes: [RegistryChange], createdAt: Int64) {
        self.id = id
        self.parent = parent
        self.changes = changes
        self.createdAt = createdAt
    }

    public var description: String { "v\(id)" }
}

/// Where the registry's history is kept: memory, or a database.
///
/// Saving a version and moving the head to it must be one atomic step, so a crash leaves the old head or
/// the new one.
public protocol RegistryHistory: Sendable {
    /// Every saved version and the current head (0 when nothing was saved).
    func load() throws(WippyError) -> (versions: [RegistryVersion], head: UInt64)
    /// Saves `version` and makes it the head, atomically.
    func save(_ version: RegistryVersion) throws(WippyError)
    /// Moves the head to an existing version (rollback or forward).
    func setHead(_ head: UInt64) throws(WippyError)
}
