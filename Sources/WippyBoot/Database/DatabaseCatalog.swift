public import WippyCore
import Synchronization

/// The live database configurations by entry ID: what the `db.sql.*` entries of the committed registry
/// say. Read from any thread; changed only by ``DatabaseKind`` when a changeset commits.
public final class DatabaseCatalog: Sendable {
    private let configs = Mutex<[EntryID: DatabaseConfig]>([:])

    public init() {}

    /// The configuration of database `id`, nil when there is no such entry.
    public func config(_ id: EntryID) -> DatabaseConfig? { configs.withLock { $0[id] } }

    /// Every database, by entry ID.
    public var all: [EntryID: DatabaseConfig] { configs.withLock { $0 } }

    func apply(staged: [EntryID: DatabaseConfig], removed: Set<EntryID>) {
        configs.withLock { configs in
            for id in removed { configs[id] = nil }
            configs.merge(staged) { _, new in new }
        }
    }
}
