import HashTreeCollections
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The registry: every entry the system is made of, versioned, changed only by whole changesets.
///
/// Reads (``snapshot``, ``entry(_:)``) never see a half-applied changeset. ``apply(_:origin:record:)`` is
/// serialised: it orders the changes, lets every kind handler (``RegistryParticipant``) accept or reject
/// each one, saves the new version to the history, then commits the handlers and publishes the new state
/// and `registry` events on the bus. Any rejection leaves everything as it was.
///
/// The state is the definition files' entries (the baseline) with the recorded history on top, kept folded
/// as a ``RegistryOverlay``. A recorded (runtime) change of an entry wins over its file, at boot and when the
/// files change, until it is discarded from the history.
///
/// Thread-safe: an apply may run on any thread (the file watcher's, a blocking-pool thread for Lua's
/// `changes:apply()`), never on a worker (it waits for the lock and writes the history); what it starts
/// reaches processes through their workers' inboxes (sends, spawns, bus events).
public final class Registry: Sendable {
    /// Kinds kept in the registry with no handler.
    public static let internalKinds: Set<String> = ["registry.entry", "ns.definition", "ns.requirement", "ns.dependency"]

    public let history: any RegistryHistory
    public let bus: EventBus?
    public let resolver: DependencyResolver
    /// Runs queries (``find(_:)``) with a cache of results for the current state.
    public let finder = EntryFinder()
    /// A checkpoint is saved with every this many recorded versions (and by ``saveCheckpoint()``).
    public let checkpointInterval: Int
    private let participants = Mutex<[any RegistryParticipant]>([])
    private let entryExpander = Mutex<(any RegistryEntryExpander)?>(nil)
    private let current = Mutex<RegistrySnapshot>(.empty)
    /// The entries from definition files: the baseline history is replayed onto.
    private let baselineEntries = Mutex<RegistryEntries>([:])
    /// The recorded history on top of the baseline at the current version.
    private let overlay = Mutex<PendingOverlay>(PendingOverlay())
    private let historyIndex = Mutex<RegistryHistoryIndex>(.empty)
    /// Versions recorded (or replayed at boot) since the last checkpoint (changed under `applying`).
    private let sinceCheckpoint = Mutex<Int>(0)
    /// Held for the whole of an apply.
    private let applying = Mutex<Void>(())
    let transactionCounter = Atomic<UInt64>(0)

    public init(history: any RegistryHistory = MemoryRegistryHistory(), bus: EventBus? = nil,
                resolver: DependencyResolver = DependencyResolver(), checkpointInterval: Int = 512) {
        self.history = history
        self.bus = bus
        self.resolver = resolver
        self.checkpointInterval = max(1, checkpointInterval)
    }

    public func add(participant: any RegistryParticipant) {
        participants.withLock { $0.append(participant) }
    }

    /// Sets what rewrites entries before their handlers prepare them (``RegistryEntryExpander``).
    public func set(expander: any RegistryEntryExpander) {
        entryExpander.withLock { $0 = expander }
    }

    // MARK: - Reading

    /// The current state.
    public var snapshot: RegistrySnapshot { current.withLock { $0 } }

    public func entry(_ id: EntryID) -> Entry? { current.withLock { $0.entries[id] } }

    /// The entries of the current state that match `filter`, sorted by ID (cached until the state changes).
    public func find(_ filter: EntryFilter) -> [Entry] { finder.find(filter, in: snapshot) }

    /// The current version (0 before any recorded change).
    public var version: UInt64 { current.withLock { $0.version } }

    /// Every recorded version, oldest first.
    public var versions: [RegistryVersionInfo] { historyIndex.withLock { $0.versions } }

    public func version(_ id: UInt64) -> RegistryVersionInfo? { historyIndex.withLock { $0.version(id) } }

    /// The changes recorded as version `id`, read from the history.
    public func changes(of id: UInt64) throws(WippyError) -> [RegistryChange] {
        guard version(id) != nil else { throw WippyError.notFound("version v\(id) not found") }
        return try history.changes(of: [id])[0]
    }

    /// The recorded (runtime) changes in effect now, per entry.
    public var runtimeChanges: RegistryOverlay { overlay.withLock { $0.current } }

    /// The state at a recorded version: the current baseline with the changes on the path from the root
    /// to `id` replayed.
    public func snapshot(at id: UInt64) throws(WippyError) -> RegistrySnapshot {
        var entries = baselineEntries.withLock { $0 }
        guard id != 0 else { return RegistrySnapshot(version: 0, entries: entries) }
        try overlay(at: id, in: historyIndex.withLock { $0 }).overlay.apply(onto: &entries)
        return RegistrySnapshot(version: id, entries: entries)
    }

    private func overlay(at id: UInt64, in index: RegistryHistoryIndex) throws(WippyError)
        -> (overlay: RegistryOverlay, replayed: Int, checkpoint: UInt64?)
    {
        try history.overlay(at: id, in: index)
    }

    // MARK: - Boot

    /// What a boot found.
    public struct BootReport: Sendable {
        /// Entries changed at runtime whose files changed since: the runtime version is in effect.
        public var conflicts: [RegistryConflict]
        /// Versions whose changes were read and replayed (the rest came from a checkpoint).
        public var replayed: Int
        /// The checkpoint the replay started from.
        public var checkpoint: UInt64?
        /// A checkpoint that could not be saved after a long replay (the boot itself went on).
        public var checkpointFailure: WippyError?
    }

    /// Loads the history and applies `baseline` with the recorded changes up to the head replayed onto it,
    /// as one transaction of creates that records no new version. The current version is then the head.
    @discardableResult
    public func boot(baseline: [Entry]) throws(WippyError) -> BootReport {
        let index = try history.index()
        var entries: RegistryEntries = [:]
        for entry in baseline { entries[entry.id] = entry }
        let (folded, replayed, checkpoint) = try overlay(at: index.head, in: index)
        let conflicts = folded.conflicts(with: entries)
        baselineEntries.withLock { $0 = entries }
        historyIndex.withLock { $0 = index }
        folded.apply(onto: &entries)
        let changes = entries.values.sorted { $0.id < $1.id }.map(RegistryChange.create)
        var report = BootReport(conflicts: conflicts, replayed: replayed, checkpoint: checkpoint)
        try applying.withLock { _ throws(WippyError) in
            _ = try run(changes, origin: .boot, record: false, resultingVersion: index.head)
            overlay.withLock { $0 = PendingOverlay(folded) }
            sinceCheckpoint.withLock { $0 = replayed }
            if replayed >= checkpointInterval && history.keepsCheckpoints {
                do throws(WippyError) {
                    try storeCheckpoint(folded)
                } catch {
                    report.checkpointFailure = error
                }
            }
        }
        return report
    }

    /// Saves a checkpoint of the current state when versions were recorded since the last one (at a clean
    /// shutdown, so the next boot replays nothing). Returns whether one was saved.
    @discardableResult
    public func saveCheckpoint() throws(WippyError) -> Bool {
        try applying.withLock { _ throws(WippyError) -> Bool in
            guard history.keepsCheckpoints, sinceCheckpoint.withLock({ $0 }) > 0 else { return false }
            let folded = overlay.withLock { $0.current }
            guard folded.version != 0 else { return false }
            try storeCheckpoint(folded)
            return true
        }
    }

    private func storeCheckpoint(_ folded: RegistryOverlay) throws(WippyError) {
        try history.saveCheckpoint(folded)
        historyIndex.withLock { _ = $0.checkpoints.insert(folded.version) }
        sinceCheckpoint.withLock { $0 = 0 }
    }

    // MARK: - Writing

    /// Applies a changeset atomically. With `record`, a new version is saved (a child of the current
    /// one) and returned; without, the state changes but the version does not (file reloads).
    ///
    /// - Throws: `Invalid` for an empty or malformed changeset, or the first rejection, naming the entry.
    @discardableResult
    public func apply(_ changes: [RegistryChange], origin: RegistryOrigin = .api, record: Bool = true) throws(WippyError) -> UInt64? {
        Registry.assertOffWorker()
        guard !changes.isEmpty else { throw WippyError.invalid("no changes to apply") }
        return try applying.withLock { _ throws(WippyError) -> UInt64? in
            let head = version
            let next = record ? historyIndex.withLock { $0.highest } + 1 : nil
            let transaction = try run(changes, origin: origin, record: record, resultingVersion: next ?? head)
            return transaction.version
        }
    }

    /// Moves the registry to a recorded version (rollback or forward): the state becomes that version's,
    /// through the kind handlers like any changeset, and the head moves; no new version is made.
    public func applyVersion(_ target: UInt64) throws(WippyError) {
        Registry.assertOffWorker()
        try applying.withLock { _ throws(WippyError) in try moveHead(to: target) }
    }

    /// Stops a debug build when a worker thread would wait for the apply lock and the history.
    @inline(__always)
    static func assertOffWorker(_ function: StaticString = #function) {
        assert(Worker.current == nil, "Registry.\(function) on a worker thread: run it off the worker (LuaProcess.performBlocking)")
    }

    private func moveHead(to target: UInt64) throws(WippyError) {
        let (goalOverlay, _, _) = try overlay(at: target, in: historyIndex.withLock { $0 })
        var goal = baselineEntries.withLock { $0 }
        goalOverlay.apply(onto: &goal)
        let now = snapshot
        let changes = RegistryDelta.between(now.entries, goal)
        try history.setHead(target)
        let result: Result<RegistryTransaction, WippyError>
        do throws(WippyError) {
            result = .success(try run(changes, origin: .version, record: false, resultingVersion: target))
        } catch {
            result = .failure(error)
        }
        if case .failure(let error) = result {
            try? history.setHead(now.version)
            throw error
        }
        let checkpointed = historyIndex.withLock { index in
            index.head = target
            return index.checkpoints.contains(target)
        }
        overlay.withLock { $0 = PendingOverlay(goalOverlay) }
        sinceCheckpoint.withLock { $0 = checkpointed || target == 0 ? 0 : max($0, 1) }
    }

    /// What a change of the definition files did.
    public struct BaselineOutcome: Sendable, Equatable {
        /// The changes applied, in the order applied.
        public var applied: [RegistryChange]
        /// Entries the files changed that were changed at runtime too: the runtime version stays.
        public var runtimeWins: [RegistryConflict]
    }

    /// Replaces the baseline (definition files changed) and applies the difference to the live state:
    /// entries added, changed or removed in the files are created, updated or deleted, except entries
    /// changed at runtime (recorded in the history), whose runtime version stays, as at boot. Records no
    /// version.
    @discardableResult
    public func applyBaseline(_ entries: [Entry]) throws(WippyError) -> BaselineOutcome {
        Registry.assertOffWorker()
        return try applying.withLock { _ throws(WippyError) -> BaselineOutcome in
            var newBaseline: RegistryEntries = [:]
            for entry in entries { newBaseline[entry.id] = entry }
            let oldBaseline = baselineEntries.withLock { $0 }
            let layers = overlay.withLock { $0.current.layers }
            let live = snapshot.entries
            var changes: [RegistryChange] = []
            var runtimeWins: [RegistryConflict] = []
            for change in RegistryDelta.between(oldBaseline, newBaseline) {
                let file: Entry? = change.kind == .delete ? nil : change.entry
                if let layer = layers[change.id] {
                    if file != layer.base && file != layer.value {
                        runtimeWins.append(RegistryConflict(id: change.id, version: layer.version, runtime: layer.value, file: file))
                    }
                    continue
                }
                switch change.kind {
                case .delete where live[change.id] != nil:
                    changes.append(.delete(change.id))
                case .create, .update:
                    if let existing = live[change.id] {
                        if existing != change.entry {
                            changes.append(existing.kind == change.entry.kind ? .update(change.entry) : .delete(change.id))
                            if existing.kind != change.entry.kind { changes.append(.create(change.entry)) }
                        }
                    } else {
                        changes.append(.create(change.entry))
                    }
                default: break
                }
            }
            runtimeWins.sort { $0.id < $1.id }
            if !changes.isEmpty {
                let transaction = try run(changes, origin: .files, record: false, resultingVersion: version)
                baselineEntries.withLock { $0 = newBaseline }
                return BaselineOutcome(applied: transaction.applied, runtimeWins: runtimeWins)
            }
            baselineEntries.withLock { $0 = newBaseline }
            return BaselineOutcome(applied: [], runtimeWins: runtimeWins)
        }
    }

    /// Runs one transaction (caller holds `applying`).
    private func run(_ changes: [RegistryChange], origin: RegistryOrigin, record: Bool, resultingVersion: UInt64) throws(WippyError)
        -> RegistryTransaction
    {
        let base = snapshot
        let transaction = RegistryTransaction(
            number: transactionCounter.add(1, ordering: .relaxed).newValue, origin: origin, base: base)
        let handlers = participants.withLock { $0 }
        do {
            try prepareAll(changes, transaction: transaction, handlers: handlers, expander: entryExpander.withLock { $0 })
            for handler in handlers { try handler.finish(transaction) }
        } catch {
            for handler in handlers { handler.discard(transaction) }
            throw error
        }
        if record {
            let version = RegistryVersion(
                id: resultingVersion, parent: base.version, changes: transaction.applied, createdAt: Int64(time(nil)))
            transaction.version = resultingVersion
            let due = history.keepsCheckpoints && sinceCheckpoint.withLock { $0 } + 1 >= checkpointInterval
            var checkpoint: RegistryOverlay?
            if due {
                var folded = overlay.withLock { $0.current }
                folded.fold(transaction.applied, version: resultingVersion)
                checkpoint = folded
            }
            do {
                try history.save(version, checkpoint: checkpoint)
            } catch {
                for handler in handlers { handler.discard(transaction) }
                throw WippyError("registry history: \(error.message)", kind: error.kind == .conflict ? .conflict : .internal)
            }
            historyIndex.withLock { index in
                index.append(version.info)
                index.head = version.id
                if due { index.checkpoints.insert(version.id) }
            }
            overlay.withLock { $0.add(transaction.applied, version: resultingVersion, folded: checkpoint) }
            sinceCheckpoint.withLock { $0 = due ? 0 : $0 + 1 }
        }
        current.withLock {
            $0 = RegistrySnapshot(version: resultingVersion, entries: transaction.working, generation: transaction.number)
        }
        for handler in handlers { handler.commit(transaction) }
        publish(transaction)
        return transaction
    }
}

/// The overlay at the current version, folded when asked for: a recorded apply only queues its changes (a
/// fold per apply would cost more than the rest of saving a version to memory), and the queue is folded when
/// the overlay is read (a file reload, a checkpoint): at most a checkpoint interval of changesets for a
/// history that keeps checkpoints; for the memory history, which holds the same changesets anyway, up to the
/// next file reload.
struct PendingOverlay: Sendable {
    private var folded: RegistryOverlay
    private var queued: [(version: UInt64, changes: [RegistryChange])] = []

    init(_ folded: RegistryOverlay = .empty) { self.folded = folded }

    /// The overlay with every queued changeset folded in (the queue is emptied).
    var current: RegistryOverlay {
        mutating get {
            for (version, changes) in queued { folded.fold(changes, version: version) }
            queued = []
            return folded
        }
    }

    /// Queues the changes recorded as `version`; `folded` is the overlay at `version` when the caller already
    /// worked it out.
    mutating func add(_ changes: [RegistryChange], version: UInt64, folded: RegistryOverlay?) {
        if let folded {
            self.folded = folded
            queued = []
        } else {
            queued.append((version, changes))
        }
    }
}
