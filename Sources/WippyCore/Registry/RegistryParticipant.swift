public import HashTreeCollections

/// Why a changeset is being applied.
public enum RegistryOrigin: String, Sendable {
    /// The project's entries (and replayed history) at boot.
    case boot
    /// A changeset from the registry API (Lua `changes:apply()`, tools).
    case api
    /// Definition files changed on disk.
    case files
    /// `apply_version`: a rollback or roll-forward.
    case version
}

/// A kind handler taking part in registry transactions: it checks each change of its kinds before anything
/// becomes live, and makes the accepted ones live when the whole changeset commits.
///
/// The registry calls it on the applying thread, one transaction at a time:
/// - ``prepare(_:in:)`` for each change of a kind it ``handles(kind:)``, in apply order, against the working
///   state (which already holds the transaction's earlier changes). Throwing rejects the change and the
///   whole changeset; an error of kind `NotFound` defers the change until the rest of the batch has been
///   prepared, then it is tried again. A change may be prepared again after a deferral, so staging must be
///   keyed by entry and replace what an earlier attempt staged.
/// - ``finish(_:)`` once every change of the changeset was prepared: a last look across entries (a library
///   removed while something still imports it, say); throwing rejects the changeset.
/// - ``commit(_:)`` once every change was accepted and the version was saved: make the staged changes live.
///   It must not fail, must not block on the applying thread's own work, and must not apply changesets.
/// - ``discard(_:)`` when the changeset failed: drop what was staged.
public protocol RegistryParticipant: AnyObject, Sendable {
    func handles(kind: String) -> Bool
    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError)
    func finish(_ transaction: RegistryTransaction) throws(WippyError)
    func commit(_ transaction: RegistryTransaction)
    func discard(_ transaction: RegistryTransaction)
}

extension RegistryParticipant {
    public func finish(_ transaction: RegistryTransaction) throws(WippyError) {}
    public func discard(_ transaction: RegistryTransaction) {}
}

/// One changeset being applied: the state it started from, the working state as its changes are accepted,
/// and (once committed) the changes in the order they were applied, with originals.
///
/// Only the applying thread touches a transaction while it runs.
public final class RegistryTransaction: @unchecked Sendable {
    public let number: UInt64
    public let origin: RegistryOrigin
    /// The registry before this changeset.
    public let base: RegistrySnapshot
    /// The state with the changes accepted so far.
    public internal(set) var working: RegistryEntries
    /// The accepted changes in apply order, originals filled in.
    public internal(set) var applied: [RegistryChange] = []
    /// The version this changeset will be saved as (nil when it is not recorded).
    public internal(set) var version: UInt64?

    init(number: UInt64, origin: RegistryOrigin, base: RegistrySnapshot) {
        self.number = number
        self.origin = origin
        self.base = base
        self.working = base.entries
    }

    /// The entry as the transaction sees it now.
    public func entry(_ id: EntryID) -> Entry? { working[id] }

    /// IDs of entries whose ``applied`` change has one of `kinds` (before or after the change).
    public func changed(kinds: Set<String>) -> [RegistryChange] {
        applied.filter { kinds.contains($0.entry.kind) || ($0.original.map { kinds.contains($0.kind) } ?? false) }
    }
}

/// Rewrites an entry just before its kind handler prepares it, without changing what the registry keeps
/// (the env kind resolves `${env:NAME}` placeholders this way, so secrets never reach `registry.get` or the
/// history). Called on the applying thread for creates and updates of entries that have a handler; an error
/// rejects the change as a ``RegistryParticipant/prepare(_:in:)`` error would (`NotFound` defers it).
public protocol RegistryEntryExpander: AnyObject, Sendable {
    func expand(_ entry: Entry, in transaction: RegistryTransaction) throws(WippyError) -> Entry
}
