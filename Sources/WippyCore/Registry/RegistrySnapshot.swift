public import HashTreeCollections
import Synchronization

/// The registry at one version: every entry by ID. Immutable and cheap to copy.
public struct RegistrySnapshot: Sendable {
    /// The version this state belongs to (0: the baseline before any recorded change).
    public let version: UInt64
    public let entries: RegistryEntries
    /// Which published state this is: a number that grows with every changeset the registry applies, recorded
    /// or not (a file reload changes the entries but not the version). 0 for states that were never live
    /// (``Registry/snapshot(at:)``, ``empty``). Caches of derived data (``EntryFinder``) key on it.
    public let generation: UInt64

    /// The entries sorted by ID, worked out once per snapshot on first use.
    private let sorted = SortedEntries()

    public init(version: UInt64, entries: RegistryEntries, generation: UInt64 = 0) {
        self.version = version
        self.entries = entries
        self.generation = generation
    }

    public static let empty = RegistrySnapshot(version: 0, entries: [:])

    public func entry(_ id: EntryID) -> Entry? { entries[id] }

    public var count: Int { entries.count }

    /// Every entry, sorted by ID.
    public var sortedEntries: [Entry] { sorted.entries(of: entries) }

    /// The entries of one namespace, sorted by ID.
    public func namespace(_ namespace: String) -> [Entry] {
        sortedEntries.filter { $0.id.namespace == namespace }
    }
}

/// A snapshot's entries in ID order, sorted on first use and kept: finds then filter without sorting.
private final class SortedEntries: Sendable {
    private let cached = Mutex<[Entry]?>(nil)

    func entries(of table: RegistryEntries) -> [Entry] {
        if let known = cached.withLock({ $0 }) { return known }
        let sorted = table.values.sorted { $0.id < $1.id }
        cached.withLock { $0 = sorted }
        return sorted
    }
}
