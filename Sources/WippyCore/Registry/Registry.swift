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
    private let participants = Mutex<[any RegistryParticipant]>([])
    private let current = Mutex<RegistrySnapshot>(.empty)
    /// The entries from definition files: the baseline history is replayed onto.
    private let baselineEntries = Mutex<RegistryEntries>([:])
    private let versionTable = Mutex<[UInt64: RegistryVersion]>([:])
    /// The highest version number recorded (new versions take the next one).
    private let highestVersion = Atomic<UInt64>(0)
    /// Held for the whole of an apply.
    private let applying = Mutex<Void>(())
    private let transactionCounter = Atomic<UInt64>(0)

    public init(history: any RegistryHistory = MemoryRegistryHistory(), bus: EventBus? = nil,
                resolver: DependencyResolver = DependencyResolver()) {
        self.history = history
        self.bus = bus
        self.resolver = resolver
    }

    public func add(participant: any RegistryParticipant) {
        participants.withLock { $0.append(participant) }
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
    public var versions: [RegistryVersion] { versionTable.withLock { $0.values.sorted { $0.id < $1.id } } }

    public func version(_ id: UInt64) -> RegistryVersion? { versionTable.withLock { $0[id] } }

    /// The state at a recorded version: the current baseline with the changes on the path from the root
    /// to `id` replayed.
    public func snapshot(at id: UInt64) throws(WippyError) -> RegistrySnapshot {
        var entries = baselineEntries.withLock { $0 }
        guard id != 0 else { return RegistrySnapshot(version: 0, entries: entries) }
        let table = versionTable.withLock { $0 }
        guard table[id] != nil else { throw WippyError.notFound("version v\(id) not found") }
        for version in path(to: id, in: table) { RegistryDelta.replay(version.changes, onto: &entries) }
        return RegistrySnapshot(version: id, entries: entries)
    }

    /// The versions from the root down to `id`.
    private func path(to id: UInt64, in table: [UInt64: RegistryVersion]) -> [RegistryVersion] {
        var chain: [RegistryVersion] = []
        var cursor = id
        var guardCount = 0
        while cursor != 0, let version = table[cursor], guardCount <= table.count {
            chain.append(version)
            cursor = version.parent
            guardCount += 1
        }
        return chain.reversed()
    }

    // MARK: - Boot

    /// Loads the history and applies `baseline` with the recorded changes up to the head replayed onto it,
    /// as one transaction of creates that records no new version. The current version is then the head.
    public func boot(baseline: [Entry]) throws(WippyError) {
        let (saved, head) = try history.load()
        var table: [UInt64: RegistryVersion] = [:]
        for version in saved { table[version.id] = version }
        var entries: RegistryEntries = [:]
        for entry in baseline { entries[entry.id] = entry }
        baselineEntries.withLock { $0 = entries }
        versionTable.withLock { $0 = table }
        highestVersion.store(table.keys.max() ?? 0, ordering: .relaxed)
        if head != 0 {
            guard table[head] != nil else { throw WippyError.internal("registry history: head v\(head) is missing") }
            for version in path(to: head, in: table) { RegistryDelta.replay(version.changes, onto: &entries) }
        }
        let changes = entries.values.sorted { $0.id < $1.id }.map(RegistryChange.create)
        try applying.withLock { _ throws(WippyError) in
            _ = try run(changes, origin: .boot, record: false, resultingVersion: head)
        }
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
            let next = record ? nextVersionNumber() : nil
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

    private func moveHead(to target: UInt64) throws(WippyError) {
        let goal = try snapshot(at: target)
        let now = snapshot
        let changes = RegistryDelta.between(now.entries, goal.entries)
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
    }

    /// Replaces the baseline (definition files changed) and applies the difference to the live state:
    /// entries added, changed or removed in the files are created, updated or deleted. Records no version.
    @discardableResult
    public func applyBaseline(_ entries: [Entry]) throws(WippyError) -> [RegistryChange] {
        Registry.assertOffWorker()
        return try applying.withLock { _ throws(WippyError) -> [RegistryChange] in
            var newBaseline: RegistryEntries = [:]
            for entry in entries { newBaseline[entry.id] = entry }
            let oldBaseline = baselineEntries.withLock { $0 }
            let live = snapshot.entries
            var changes: [RegistryChange] = []
            for change in RegistryDelta.between(oldBaseline, newBaseline) {
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
            if !changes.isEmpty {
                let transaction = try run(changes, origin: .files, record: false, resultingVersion: version)
                baselineEntries.withLock { $0 = newBaseline }
                return transaction.applied
            }
            baselineEntries.withLock { $0 = newBaseline }
            return []
        }
    }

    /// Stops a debug build when a worker thread would wait for the apply lock and the history.
    @inline(__always)
    static func assertOffWorker(_ function: StaticString = #function) {
        assert(Worker.current == nil, "Registry.\(function) on a worker thread: run it off the worker (LuaProcess.performBlocking)")
    }

    private func nextVersionNumber() -> UInt64 {
        highestVersion.load(ordering: .relaxed) + 1
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
            try prepareAll(changes, transaction: transaction, handlers: handlers)
            for handler in handlers { try handler.finish(transaction) }
        } catch {
            for handler in handlers { handler.discard(transaction) }
            throw error
        }
        if record {
            let version = RegistryVersion(
                id: resultingVersion, parent: base.version, changes: transaction.applied, createdAt: Int64(time(nil)))
            transaction.version = resultingVersion
            do {
                try history.save(version)
            } catch {
                for handler in handlers { handler.discard(transaction) }
                throw WippyError("registry history: \(error.message)", kind: .internal)
            }
            versionTable.withLock { $0[version.id] = version }
            highestVersion.store(max(highestVersion.load(ordering: .relaxed), version.id), ordering: .relaxed)
        }
        current.withLock {
            $0 = RegistrySnapshot(version: resultingVersion, entries: transaction.working, generation: transaction.number)
        }
        for handler in handlers { handler.commit(transaction) }
        publish(transaction)
        return transaction
    }

    /// Validates, orders and prepares every change, deferring `NotFound` rejections to later passes.
    private func prepareAll(_ changes: [RegistryChange], transaction: RegistryTransaction, handlers: [any RegistryParticipant])
        throws(WippyError)
    {
        var pending = changes
        if changes.count > 1 {
            // The state the changes lead to, for ordering creates and updates by their references.
            var target = transaction.working
            for change in changes {
                switch change.kind {
                case .create, .update: target[change.id] = change.entry
                case .delete: target[change.id] = nil
                }
            }
            pending = resolver.order(changes, before: transaction.working, after: target)
        }
        var deferred: [(RegistryChange, WippyError)] = []
        while true {
            var progress = false
            deferred = []
            for change in pending {
                let prepared = try validate(change, against: transaction.working)
                if let handler = handlers.first(where: { $0.handles(kind: prepared.entry.kind) }) {
                    do {
                        try handler.prepare(prepared, in: transaction)
                    } catch where error.kind == .notFound {
                        deferred.append((change, error))
                        continue
                    } catch {
                        throw named(error, prepared.entry)
                    }
                } else if !Registry.internalKinds.contains(prepared.entry.kind) {
                    throw named(WippyError.invalid("unknown kind '\(prepared.entry.kind)'"), prepared.entry)
                }
                switch prepared.kind {
                case .create, .update: transaction.working[prepared.id] = prepared.entry
                case .delete: transaction.working[prepared.id] = nil
                }
                transaction.applied.append(prepared)
                progress = true
            }
            if deferred.isEmpty { return }
            if !progress {
                if deferred.count == 1 { throw named(deferred[0].1, deferred[0].0.entry) }
                let ids = deferred.map(\.0.id.description).joined(separator: ", ")
                let first = deferred[0]
                throw WippyError(
                    "unresolved dependencies: \(ids) (first: \(named(first.1, first.0.entry).message))", kind: .notFound,
                    retryable: false)
            }
            pending = deferred.map(\.0)
        }
    }

    /// Checks a change against the working state and fills in originals.
    private func validate(_ change: RegistryChange, against state: RegistryEntries) throws(WippyError) -> RegistryChange {
        var change = change
        switch change.kind {
        case .create:
            if state[change.id] != nil { throw WippyError("entry \(change.id) already exists", kind: .alreadyExists, retryable: false) }
            if change.entry.kind.isEmpty { throw WippyError.invalid("entry \(change.id): kind is required") }
        case .update:
            guard let existing = state[change.id] else { throw WippyError.notFound("entry \(change.id) does not exist") }
            if existing.kind != change.entry.kind {
                throw WippyError.invalid(
                    "entry \(change.id): an update cannot change the kind (\(existing.kind) to \(change.entry.kind)); delete and create instead")
            }
            change.original = existing
        case .delete:
            guard let existing = state[change.id] else { throw WippyError.notFound("entry \(change.id) does not exist") }
            change.entry = existing
            change.original = existing
        }
        return change
    }

    /// `error` with the entry (and its file and line, when known) in front, unless it already names it.
    private func named(_ error: WippyError, _ entry: Entry) -> WippyError {
        var error = error
        let id = entry.id.description
        // A message that names the entry already says where it is (a compile error names the source file).
        guard !error.message.contains(id) else { return error }
        let place = entry.origin.map { "\($0): " } ?? ""
        error.message = "\(place)entry \(id): \(error.message)"
        return error
    }

    /// Registry events: one per applied change, then `registry.commit` with the version.
    private func publish(_ transaction: RegistryTransaction) {
        guard let bus else { return }
        var events = transaction.applied.map { change in
            BusEvent(system: "registry", kind: change.kind.rawValue, path: change.id.description, data: change.entry.payload)
        }
        events.append(
            BusEvent(
                system: "registry", kind: "registry.commit", path: "registry.tx/\(transaction.number)",
                data: .map([
                    ("version", .int(Int64(transaction.version ?? snapshot.version))),
                    ("origin", .string(transaction.origin.rawValue)),
                    ("changes", .int(Int64(transaction.applied.count))),
                ])))
        bus.send(contentsOf: events)
    }
}

extension Entry {
    /// The entry as a payload: `{id, kind, meta, data}`.
    public var payload: Payload {
        .map([("id", .string(id.description)), ("kind", .string(kind)), ("meta", .table(meta)), ("data", data)])
    }
}
