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

    /// The version without its changes.
    public var info: RegistryVersionInfo { RegistryVersionInfo(id: id, parent: parent, createdAt: createdAt) }

    public var description: String { "v\(id)" }
}

/// A recorded version without its changes: what the registry keeps of every version (the changes are read
/// from the history when a past state is asked for).
public struct RegistryVersionInfo: Sendable, Equatable, CustomStringConvertible {
    public var id: UInt64
    /// The version this one was applied on (0 for the first).
    public var parent: UInt64
    /// When it was made (Unix seconds).
    public var createdAt: Int64

    public init(id: UInt64, parent: UInt64, createdAt: Int64) {
        self.id = id
        self.parent = parent
        self.createdAt = createdAt
    }

    public var description: String { "v\(id)" }
}

/// Where the registry's history is kept: memory, or a database.
///
/// Saving a version and moving the head to it must be one atomic step, so a crash leaves the old head or
/// the new one. A history may also keep checkpoints: the ``RegistryOverlay`` at some versions, so a boot
/// replays the changes after the newest checkpoint on the head's path rather than every version.
public protocol RegistryHistory: Sendable {
    /// Every saved version (without changes), the head and the checkpoints, checked for damage (see
    /// ``RegistryHistoryIndex/validate()``).
    ///
    /// - Throws: `Invalid` saying what is damaged, never a partial index.
    func index() throws(WippyError) -> RegistryHistoryIndex
    /// The changes of each of `versions`, in the order given.
    ///
    /// - Throws: `Invalid` when a version has no changes recorded or they cannot be read.
    func changes(of versions: [UInt64]) throws(WippyError) -> [[RegistryChange]]
    /// Saves `version` and makes it the head, atomically, with `checkpoint` (the overlay at `version`) when
    /// given.
    ///
    /// - Throws: `Conflict` when the head is no longer `version.parent` or the number is taken (another
    ///   writer saved meanwhile); nothing is saved then.
    func save(_ version: RegistryVersion, checkpoint: RegistryOverlay?) throws(WippyError)
    /// Moves the head to an existing version (rollback or forward).
    func setHead(_ head: UInt64) throws(WippyError)
    /// The checkpoint saved at `version`, or nil when there is none or it cannot be read (a checkpoint is
    /// derived data: the changes it sums up are still there to replay).
    func checkpoint(at version: UInt64) -> RegistryOverlay?
    /// Saves the overlay at its version as a checkpoint (replacing older ones the history no longer needs).
    func saveCheckpoint(_ overlay: RegistryOverlay) throws(WippyError)
    /// Whether the registry should save checkpoints here (every ``Registry/checkpointInterval`` versions and
    /// at shutdown). A history that boots only once per process (memory) does not need them.
    var keepsCheckpoints: Bool { get }
}

extension RegistryHistory {
    public var keepsCheckpoints: Bool { true }

    /// Every saved version with its changes, oldest first, and the head.
    public func load() throws(WippyError) -> (versions: [RegistryVersion], head: UInt64) {
        let index = try index()
        let changes = try changes(of: index.versions.map(\.id))
        let versions = zip(index.versions, changes).map { info, changes in
            RegistryVersion(id: info.id, parent: info.parent, changes: changes, createdAt: info.createdAt)
        }
        return (versions, index.head)
    }

    /// The overlay at version `id` of `index`: the newest checkpoint on its path with the later versions'
    /// changes folded in; also how many versions were folded and which checkpoint was used.
    ///
    /// - Throws: `NotFound` for a version not in the index, or the history's error reading changes.
    public func overlay(at id: UInt64, in index: RegistryHistoryIndex) throws(WippyError)
        -> (overlay: RegistryOverlay, replayed: Int, checkpoint: UInt64?)
    {
        guard id != 0 else { return (.empty, 0, nil) }
        var unusable: Set<UInt64> = []
        while true {
            guard let (checkpoint, rest) = index.pathSinceCheckpoint(to: id, skipping: unusable) else {
                throw WippyError.notFound("version v\(id) not found")
            }
            var result = RegistryOverlay.empty
            if let checkpoint {
                // A checkpoint that cannot be read (or is not the version it claims) is skipped: the changes
                // it sums up are still there.
                guard let saved = self.checkpoint(at: checkpoint), saved.version == checkpoint else {
                    unusable.insert(checkpoint)
                    continue
                }
                result = saved
            }
            let changesets = try changes(of: rest)
            for (version, changes) in zip(rest, changesets) { result.fold(changes, version: version) }
            return (result, rest.count, checkpoint)
        }
    }

    /// Saves `version` and makes it the head, with no checkpoint.
    public func save(_ version: RegistryVersion) throws(WippyError) { try save(version, checkpoint: nil) }
}
