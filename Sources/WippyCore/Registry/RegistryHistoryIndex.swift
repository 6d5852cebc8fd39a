/// What a history holds, without the changes: every version's number and parent, the head, and the versions
/// a checkpoint was saved at.
///
/// ``validate()`` checks that it is a tree a boot can trust: the head and every parent exist and every parent
/// is older than its child (version numbers only grow, so a parent link to a newer version means damage, and
/// rules out cycles). A damaged index is refused rather than replayed into an older state.
public struct RegistryHistoryIndex: Sendable, Equatable {
    /// Every version, by number (ascending).
    public private(set) var versions: [RegistryVersionInfo]
    public var head: UInt64
    /// Versions with a checkpoint.
    public var checkpoints: Set<UInt64>

    public init(versions: [RegistryVersionInfo], head: UInt64, checkpoints: Set<UInt64> = []) {
        self.versions = versions.sorted { $0.id < $1.id }
        self.head = head
        self.checkpoints = checkpoints
    }

    /// Where version `id` is in ``versions``: numbers are usually 1...n with no gap, so a direct look first,
    /// then a binary search (versions are sorted).
    private func position(of id: UInt64) -> Int? {
        if id >= 1, id <= UInt64(versions.count), versions[Int(id - 1)].id == id { return Int(id - 1) }
        var low = 0
        var high = versions.count
        while low < high {
            let middle = (low + high) / 2
            if versions[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low < versions.count && versions[low].id == id ? low : nil
    }

    public static let empty = RegistryHistoryIndex(versions: [], head: 0)

    public func version(_ id: UInt64) -> RegistryVersionInfo? { position(of: id).map { versions[$0] } }

    /// The highest version number (0 for none).
    public var highest: UInt64 { versions.last?.id ?? 0 }

    /// Adds a version just saved.
    public mutating func append(_ version: RegistryVersionInfo) {
        guard let last = versions.last, last.id >= version.id else { return versions.append(version) }
        if let at = position(of: version.id) {
            versions[at] = version
        } else {
            versions.append(version)
            versions.sort { $0.id < $1.id }
        }
    }

    /// What is wrong with the index, or nil when it is a sound tree.
    public func damage() -> String? {
        if head != 0 && position(of: head) == nil {
            return "the head v\(head) is not a saved version"
        }
        for version in versions {
            if version.id == 0 { return "a version is numbered 0" }
            guard version.parent != 0 else { continue }
            if version.parent >= version.id {
                return "v\(version.id) names v\(version.parent) as its parent, which is not older: the parent links form a cycle"
            }
            if position(of: version.parent) == nil {
                return "the parent v\(version.parent) of v\(version.id) is missing"
            }
        }
        return nil
    }

    /// Throws `Invalid` with ``damage()`` when there is damage.
    public func validate() throws(WippyError) {
        if let damage = damage() { throw WippyError.invalid(damage) }
    }

    /// The versions from the root down to `id` (empty for 0); nil when `id` or one of its ancestors is
    /// missing.
    public func path(to id: UInt64) -> [UInt64]? {
        var chain: [UInt64] = []
        var cursor = id
        while cursor != 0 {
            guard let at = position(of: cursor), chain.count <= versions.count else { return nil }
            chain.append(cursor)
            let parent = versions[at].parent
            guard parent < cursor else { return nil }
            cursor = parent
        }
        return chain.reversed()
    }

    /// The versions after the newest checkpoint on the way from the root to `id`, oldest first, and that
    /// checkpoint (nil: none, the versions then start at the root). Walks back from `id` only as far as the
    /// checkpoint. Nil when `id` or one of its ancestors is missing.
    public func pathSinceCheckpoint(to id: UInt64, skipping unusable: Set<UInt64> = []) -> (checkpoint: UInt64?, versions: [UInt64])? {
        var chain: [UInt64] = []
        var cursor = id
        while cursor != 0 {
            if checkpoints.contains(cursor) && !unusable.contains(cursor) { return (cursor, chain.reversed()) }
            guard let at = position(of: cursor), chain.count <= versions.count else { return nil }
            chain.append(cursor)
            let parent = versions[at].parent
            guard parent < cursor else { return nil }
            cursor = parent
        }
        return (nil, chain.reversed())
    }
}
