import HashTreeCollections
import Testing
import WippyCore

/// A kind handler for tests: accepts every change of `kinds` unless told to reject, and records what it saw.
final class RecordingParticipant: RegistryParticipant, @unchecked Sendable {
    let kinds: Set<String>
    /// Entry IDs to reject with this error.
    var rejections: [EntryID: WippyError] = [:]
    /// Reject an entry with NotFound until this other entry exists in the working state.
    var waitsFor: [EntryID: EntryID] = [:]
    var prepared: [String] = []
    var committed: [[String]] = []
    var discarded = 0
    var finishError: WippyError?

    init(kinds: Set<String>) { self.kinds = kinds }

    func handles(kind: String) -> Bool { kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        prepared.append(change.description)
        if let error = rejections[change.id] { throw error }
        if let other = waitsFor[change.id], transaction.entry(other) == nil {
            throw WippyError.notFound("waiting for \(other)")
        }
    }

    func finish(_ transaction: RegistryTransaction) throws(WippyError) {
        if let finishError { throw finishError }
    }

    func commit(_ transaction: RegistryTransaction) { committed.append(transaction.applied.map(\.description)) }

    func discard(_ transaction: RegistryTransaction) { discarded += 1 }
}

func entry(_ id: String, _ kind: String = "test.kind", data: Payload = .null, meta: [(String, Payload)] = []) -> Entry {
    var table = PayloadTable()
    for (key, value) in meta { table[key] = value }
    return Entry(id: EntryID(parsing: id), kind: kind, meta: table, data: data)
}

@Suite struct RegistryApplyTests {
    @Test func createUpdateDeleteMakeVersions() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        registry.add(participant: handler)
        try registry.boot(baseline: [entry("app:a")])
        #expect(registry.version == 0)
        let v1 = try registry.apply([.create(entry("app:b", data: .int(1)))])
        #expect(v1 == 1)
        let v2 = try registry.apply([.update(entry("app:b", data: .int(2))), .delete(EntryID(parsing: "app:a"))])
        #expect(v2 == 2)
        #expect(registry.entry(EntryID(parsing: "app:a")) == nil)
        #expect(registry.entry(EntryID(parsing: "app:b"))?.data == .int(2))
        let saved = registry.version(2)
        #expect(saved?.parent == 1)
        // originals are filled in, so the change can be reversed
        let changes = try registry.changes(of: 2)
        let update = changes.first { $0.kind == .update }
        #expect(update?.original?.data == .int(1))
        let delete = changes.first { $0.kind == .delete }
        #expect(delete?.entry.kind == "test.kind")
        #expect(handler.committed.count == 3)  // boot + two applies
    }

    @Test func invalidOperationsAreRefusedWithTheEntryNamed() throws {
        let registry = Registry()
        registry.add(participant: RecordingParticipant(kinds: ["test.kind", "other.kind"]))
        try registry.boot(baseline: [entry("app:a")])
        #expect(throws: WippyError.self) { try registry.apply([]) }
        let duplicate = #expect(throws: WippyError.self) { try registry.apply([.create(entry("app:a"))]) }
        #expect(duplicate?.message.contains("app:a") == true)
        let missing = #expect(throws: WippyError.self) { try registry.apply([.update(entry("app:zz"))]) }
        #expect(missing?.message.contains("app:zz") == true)
        let kindChange = #expect(throws: WippyError.self) { try registry.apply([.update(entry("app:a", "other.kind"))]) }
        #expect(kindChange?.message.contains("cannot change the kind") == true)
        let unknown = #expect(throws: WippyError.self) { try registry.apply([.create(entry("app:u", "no.such.kind"))]) }
        #expect(unknown?.message.contains("unknown kind 'no.such.kind'") == true)
        #expect(registry.version == 0)
    }

    @Test func aRejectionLeavesNothingApplied() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        handler.rejections[EntryID(parsing: "app:c")] = WippyError.invalid("bad code at line 3")
        registry.add(participant: handler)
        try registry.boot(baseline: [])
        let error = #expect(throws: WippyError.self) {
            try registry.apply([.create(entry("app:b")), .create(entry("app:c")), .create(entry("app:d"))])
        }
        #expect(error?.message == "entry app:c: bad code at line 3")
        #expect(registry.snapshot.count == 0)
        #expect(registry.version == 0)
        #expect(registry.versions.isEmpty)
        #expect(handler.discarded == 1)
        #expect(handler.committed.count == 1)  // only the boot
    }

    @Test func finishCanRejectTheWholeChangeset() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        registry.add(participant: handler)
        try registry.boot(baseline: [])
        handler.finishError = WippyError.invalid("something still imports it")
        #expect(throws: WippyError.self) { try registry.apply([.create(entry("app:b"))]) }
        #expect(registry.entry(EntryID(parsing: "app:b")) == nil)
    }

    @Test func notFoundRejectionsAreRetriedAfterTheRest() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        // a (sorted first) needs z, which comes later in the batch
        handler.waitsFor[EntryID(parsing: "app:a")] = EntryID(parsing: "app:z")
        registry.add(participant: handler)
        try registry.boot(baseline: [])
        try registry.apply([.create(entry("app:a")), .create(entry("app:z"))])
        #expect(handler.prepared == ["entry.create app:a", "entry.create app:z", "entry.create app:a"])
        #expect(registry.snapshot.count == 2)
        #expect(handler.committed.last == ["entry.create app:z", "entry.create app:a"])
    }

    @Test func unresolvedDependenciesFailNamingTheEntries() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        handler.waitsFor[EntryID(parsing: "app:a")] = EntryID(parsing: "app:missing")
        handler.waitsFor[EntryID(parsing: "app:b")] = EntryID(parsing: "app:missing")
        registry.add(participant: handler)
        try registry.boot(baseline: [])
        let error = #expect(throws: WippyError.self) { try registry.apply([.create(entry("app:a")), .create(entry("app:b"))]) }
        #expect(error?.message.hasPrefix("unresolved dependencies: app:a, app:b") == true)
        #expect(error?.kind == .notFound)
    }

    @Test func changesAreOrderedByReferences() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        registry.add(participant: handler)
        try registry.boot(baseline: [])
        // svc refers to host (data.host) and proc (data.process); creates come dependencies first
        let service = entry("app:svc", data: .map([("host", .string("app:host")), ("process", .string("proc"))]))
        try registry.apply([.create(service), .create(entry("app:proc")), .create(entry("app:host"))])
        #expect(handler.committed.last == ["entry.create app:host", "entry.create app:proc", "entry.create app:svc"])
        // deletes: dependants first
        try registry.apply([.delete(EntryID(parsing: "app:host")), .delete(EntryID(parsing: "app:svc"))])
        #expect(handler.committed.last == ["entry.delete app:svc", "entry.delete app:host"])
    }

    @Test func internalKindsNeedNoHandler() throws {
        let registry = Registry()
        try registry.boot(baseline: [entry("app:config", "registry.entry", data: .map([("x", .int(1))]))])
        try registry.apply([.update(entry("app:config", "registry.entry", data: .map([("x", .int(2))])))])
        #expect(registry.entry(EntryID(parsing: "app:config"))?.data["x"] == .int(2))
    }
}

@Suite struct RegistryHistoryTests {
    @Test func bootReplaysTheHistoryOntoTheBaseline() throws {
        let history = MemoryRegistryHistory()
        let first = Registry(history: history)
        first.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        try first.boot(baseline: [entry("app:a", data: .int(1))])
        try first.apply([.update(entry("app:a", data: .int(2)))])
        try first.apply([.create(entry("app:b"))])

        // a restart: the files still say a = 1, the history says 2, and b exists
        let second = Registry(history: history)
        let handler = RecordingParticipant(kinds: ["test.kind"])
        second.add(participant: handler)
        try second.boot(baseline: [entry("app:a", data: .int(1)), entry("app:c")])
        #expect(second.version == 2)
        #expect(second.entry(EntryID(parsing: "app:a"))?.data == .int(2))
        #expect(second.entry(EntryID(parsing: "app:b")) != nil)
        #expect(second.entry(EntryID(parsing: "app:c")) != nil)
        // one transaction of creates
        #expect(handler.committed.count == 1)
        #expect(handler.committed[0].allSatisfy { $0.hasPrefix("entry.create") })
        #expect(try second.apply([.delete(EntryID(parsing: "app:b"))]) == 3)
    }

    @Test func rollbackAndForwardMoveTheHeadWithoutNewVersions() throws {
        let registry = Registry()
        registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        try registry.boot(baseline: [entry("app:a", data: .int(0))])
        try registry.apply([.update(entry("app:a", data: .int(1)))])
        try registry.apply([.update(entry("app:a", data: .int(2))), .create(entry("app:b"))])
        try registry.applyVersion(1)
        #expect(registry.version == 1)
        #expect(registry.entry(EntryID(parsing: "app:a"))?.data == .int(1))
        #expect(registry.entry(EntryID(parsing: "app:b")) == nil)
        #expect(registry.versions.count == 2)
        try registry.applyVersion(2)
        #expect(registry.entry(EntryID(parsing: "app:b")) != nil)
        try registry.applyVersion(0)
        #expect(registry.entry(EntryID(parsing: "app:a"))?.data == .int(0))
        // applying after a rollback makes a child of the version rolled back to, with the next number
        try registry.applyVersion(1)
        let v3 = try registry.apply([.create(entry("app:c"))])
        #expect(v3 == 3)
        #expect(registry.version(3)?.parent == 1)
        #expect(try registry.snapshot(at: 2).entry(EntryID(parsing: "app:c")) == nil)
        #expect(try registry.snapshot(at: 3).entry(EntryID(parsing: "app:b")) == nil)
        #expect(throws: WippyError.self) { try registry.applyVersion(9) }
    }

    @Test func fileChangesApplyWithoutAVersion() throws {
        let registry = Registry()
        let handler = RecordingParticipant(kinds: ["test.kind"])
        registry.add(participant: handler)
        try registry.boot(baseline: [entry("app:a", data: .int(1)), entry("app:b")])
        try registry.apply([.create(entry("app:runtime"))])
        let applied = try registry.applyBaseline([entry("app:a", data: .int(5)), entry("app:new")]).applied
        #expect(Set(applied.map(\.description)) == ["entry.update app:a", "entry.delete app:b", "entry.create app:new"])
        #expect(registry.version == 1)
        #expect(registry.entry(EntryID(parsing: "app:runtime")) != nil)  // runtime changes are kept
        // nothing changed in the files: nothing to apply
        #expect(try registry.applyBaseline([entry("app:a", data: .int(5)), entry("app:new")]).applied.isEmpty)
    }

    @Test func busReceivesEntryEventsThenTheCommit() throws {
        let bus = EventBus()
        let queue = EventQueue()
        _ = try bus.subscribe(system: "registry", receiver: queue)
        let registry = Registry(bus: bus)
        registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        try registry.boot(baseline: [])
        _ = queue.next(timeout: .milliseconds(100))  // the boot commit
        try registry.apply([.create(entry("app:x", data: .string("v")))])
        let create = queue.next(timeout: .seconds(1))
        #expect(create?.kind == "entry.create")
        #expect(create?.path == "app:x")
        #expect(create?.data["data"] == .string("v"))
        let commit = queue.next(timeout: .seconds(1))
        #expect(commit?.kind == "registry.commit")
        #expect(commit?.data["version"] == .int(1))
    }
}

@Suite struct RegistryDeltaTests {
    @Test func deltaSquashAndReverse() {
        let old: RegistryEntries = [EntryID(parsing: "a:1"): entry("a:1", data: .int(1)), EntryID(parsing: "a:2"): entry("a:2")]
        let new: RegistryEntries = [EntryID(parsing: "a:1"): entry("a:1", data: .int(2)), EntryID(parsing: "a:3"): entry("a:3")]
        let delta = RegistryDelta.between(old, new)
        #expect(delta.map(\.description) == ["entry.update a:1", "entry.delete a:2", "entry.create a:3"])
        #expect(delta[0].original?.data == .int(1))
        #expect(delta[0].reversed.entry.data == .int(1))
        #expect(delta[1].reversed.kind == .create)

        let c = entry("b:1", data: .int(1))
        let u = entry("b:1", data: .int(2))
        #expect(RegistryDelta.squash([.create(c), .update(u)]) == [.create(u)])
        #expect(RegistryDelta.squash([.create(c), .delete(c.id)]).isEmpty)
        #expect(RegistryDelta.squash([RegistryChange(kind: .update, entry: u, original: c), .delete(c.id)]).map(\.kind) == [.delete])
        let recreated = RegistryDelta.squash([RegistryChange(kind: .delete, entry: c, original: c), .create(u)])
        #expect(recreated.map(\.kind) == [.update])
        #expect(recreated.first?.original == c)
    }

    @Test func resolverFindsReferencesOfEveryShape() {
        let state: RegistryEntries = [
            EntryID(parsing: "app:host"): entry("app:host"),
            EntryID(parsing: "app:lib"): entry("app:lib"),
            EntryID(parsing: "lib:other"): entry("lib:other"),
            EntryID(parsing: "grp:one"): entry("grp:one", meta: [("groups", .array([.string("workers")]))]),
        ]
        let service = entry(
            "app:svc",
            data: .map([
                ("host", .string("host")),
                ("imports", .map([("l", .string("app:lib")), ("o", .string("lib:other"))])),
                ("lifecycle", .map([("requires", .array([.string("group:workers"), .string("app:gone")]))])),
            ]))
        let resolver = DependencyResolver()
        #expect(resolver.dependencies(of: service, in: state).map(\.description) == ["app:host", "app:lib", "grp:one", "lib:other"])
        let namespaceRef = entry("x:y", data: .map([("config", .string("ns:lib"))]))
        #expect(resolver.dependencies(of: namespaceRef, in: state).map(\.description) == ["lib:other"])
    }
}
