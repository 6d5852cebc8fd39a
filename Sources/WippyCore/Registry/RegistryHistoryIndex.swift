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
    private var positions: [UInt64: Int]

    public init(versions: [RegistryVersionInfo], head: UInt64, checkpoints: Set<UInt64> = []) {
        self.versions = versions.sorted { $0.id < $1.id }
        self.head = head
        self.checkpoints = checkpoints
        var positions: [UInt64: Int] = [:]
        positions.reserveCapacity(versions.count)
        for (position, version) in self.versions.enumerated() { positions[version.id] = position }
        self.positions = positions
    }

    public static let empty = RegistryHistoryIndex(versions: [], head: 0)

    public static func == (lhs: RegistryHistoryIndex, rhs: RegistryHistoryIndex) -> Bool {
        lhs.versions == rhs.versions && lhs.head == rhs.head && lhs.checkpoints == rhs.checkpoints
    }

    public func version(_ id: UInt64) -> RegistryVersionInfo? { positions[id].map { versions[$0] } }

    /// The highest version number (0 for none).
    public var highest: UInt64 { versions.last?.id ?? 0 }

    /// Adds a version just saved.
    public mutating func append(_ version: RegistryVersionInfo) {
        if let position = positions[version.id] {
            versions[position] = version
            return
        }
        if let last = versions.last, last.id > version.id {
            self = RegistryHistoryIndex(versions: versions + [version], head: head, checkpoints: checkpoints)
            return
        }
        positions[version.id] = versions.count
        versions.append(version)
    }

    /// What is wrong with the index, or nil when it is a sound tree.
    public func damage() -> String? {
        if head != 0 && positions[head] == nil {
            return "the head v\(head) is not a saved version"
        }
        for version in versions {
            if version.id == 0 { return "a version is numbered 0" }
            guard version.parent != 0 else { continue }
            if version.parent >= version.id {
                return "v\(version.id) names v\(version.parent) as its parent, which is not older: the parent links form a cycle"
            }
            if positions[version.parent] == nil {
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
            guard let position = positions[cursor], chain.count <= versions.count else { return nil }
            chain.append(cursor)
            let parent = versions[position].parent
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
            guard let position = positions[cursor], chain.count <= versions.count else { return nil }
            chain.append(cursor)
            let parent = versions[position].parent
            guard parent < cursor else { return nil }
            cursor = parent
        }
        return (nil, chain.reversed())
    }
}
