public import WippyCore

/// The result of loading a project: its lock file and every entry found, ready for the build pipeline.
public struct LoadedProject: Sendable {
    /// Absolute project root.
    public var root: String
    /// The lock file, or `nil` when the project has none (the registry then starts empty).
    public var lockFile: LockFile?
    /// Entries from the source directory and the vendored modules, sorted by ID.
    public var entries: [Entry]
    /// Non-fatal remarks worth logging (for example that there is no lock file).
    public var notes: [String]

    public init(root: String, lockFile: LockFile?, entries: [Entry], notes: [String] = []) {
        self.root = root
        self.lockFile = lockFile
        self.entries = entries
        self.notes = notes
    }

    /// The entry with this ID, if loaded.
    public func entry(_ id: EntryID) -> Entry? {
        entries.first { $0.id == id }
    }
}
