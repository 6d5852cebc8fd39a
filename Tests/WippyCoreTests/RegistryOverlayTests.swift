import HashTreeCollections
import Testing
import WippyCore

/// The recorded history folded on top of the files: replay, conflicts with edited files, checkpoints, and the
/// rule that a runtime change wins over its file (issue 7, item 5).
@Suite struct RegistryOverlayTests {
    func files(_ entries: [Entry]) -> RegistryEntries {
        var table: RegistryEntries = [:]
        for entry in entries { table[entry.id] = entry }
        return table
    }

    @Test func foldKeepsTheFirstBaseAndTheLastValue() {
        var overlay = RegistryOverlay()
        overlay.fold([RegistryChange(kind: .update, entry: entry("app:a", data: 2), original: entry("app:a", data: 1))], version: 1)
        overlay.fold([RegistryChange(kind: .update, entry: entry("app:a", data: 3), original: entry("app:a", data: 2)), .create(entry("app:b"))], version: 2)
        overlay.fold([RegistryChange(kind: .delete, entry: entry("app:b"), original: entry("app:b"))], version: 3)
        #expect(overlay.version == 3)
        #expect(overlay.layers[EntryID(parsing: "app:a")] == .init(value: entry("app:a", data: 3), base: entry("app:a", data: 1), version: 2))
        // created then removed at runtime: the layer removes the entry, whatever the files say
        #expect(overlay.layers[EntryID(parsing: "app:b")] == .init(value: nil, base: nil, version: 3))
        var state = files([entry("app:a", data: 1), entry("app:b", data: "file"), entry("app:c")])
        overlay.apply(onto: &state)
        #expect(state[EntryID(parsing: "app:a")]?.data == 3)
        #expect(state[EntryID(parsing: "app:b")] == nil)
        #expect(state[EntryID(parsing: "app:c")] != nil)
    }

    @Test func conflictsAreEntriesWhoseFileChangedSinceTheRuntimeChange() {
        var overlay = RegistryOverlay()
        overlay.fold([
            RegistryChange(kind: .update, entry: entry("app:edited", data: 2), original: entry("app:edited", data: 1)),
            RegistryChange(kind: .update, entry: entry("app:same", data: 2), original: entry("app:same", data: 1)),
            RegistryChange(kind: .update, entry: entry("app:agrees", data: 2), original: entry("app:agrees", data: 1)),
            .create(entry("app:new")),
        ], version: 4)
        let conflicts = overlay.conflicts(with: files([
            entry("app:edited", data: 7), entry("app:same", data: 1), entry("app:agrees", data: 2), entry("app:new", data: "file"),
        ]))
        #expect(conflicts.map(\.id.description) == ["app:edited", "app:new"])
        #expect(conflicts.first?.version == 4)
        #expect(conflicts.first?.runtime?.data == 2)
        #expect(conflicts.first?.file?.data == 7)
    }

    @Test func archiveRoundTripsEveryLayerShape() throws {
        var overlay = RegistryOverlay()
        overlay.fold([
            RegistryChange(kind: .update, entry: entry("app:a", data: .map([("x", 1)])), original: entry("app:a")),
            .create(entry("app:b", data: "b")),
            .create(entry("app:gone")),
        ], version: 5)
        overlay.fold([RegistryChange(kind: .delete, entry: entry("app:gone"), original: entry("app:gone"))], version: 6)
        let bytes = try overlay.archive()
        #expect(try RegistryOverlay.unarchive(bytes) == overlay)
        #expect(throws: WippyError.self) { try RegistryOverlay.unarchive(Array(bytes.dropLast(3))) }
        #expect(overlay.removing(EntryID(parsing: "app:a")).layers.count == 2)
    }

    @Test func indexDamageIsNamed() {
        let chain = [RegistryVersionInfo(id: 1, parent: 0, createdAt: 0), RegistryVersionInfo(id: 2, parent: 1, createdAt: 0)]
        #expect(RegistryHistoryIndex(versions: chain, head: 2).damage() == nil)
        #expect(RegistryHistoryIndex(versions: chain, head: 2).path(to: 2) == [1, 2])
        #expect(RegistryHistoryIndex(versions: chain, head: 9).damage() == "the head v9 is not a saved version")
        let orphan = [RegistryVersionInfo(id: 3, parent: 2, createdAt: 0)]
        #expect(RegistryHistoryIndex(versions: orphan, head: 3).damage() == "the parent v2 of v3 is missing")
        let cycle = [RegistryVersionInfo(id: 1, parent: 2, createdAt: 0), RegistryVersionInfo(id: 2, parent: 1, createdAt: 0)]
        #expect(RegistryHistoryIndex(versions: cycle, head: 2).damage()?.contains("cycle") == true)
        #expect(RegistryHistoryIndex(versions: cycle, head: 2).path(to: 2) == nil)
    }

    @Test func aRuntimeChangeWinsOverAFileChangeOnReload() throws {
        let registry = Registry()
        registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        try registry.boot(baseline: [entry("app:a", data: 1), entry("app:b", data: 1)])
        try registry.apply([.update(entry("app:a", data: 50))])
        let outcome = try registry.applyBaseline([entry("app:a", data: 2), entry("app:b", data: 2)])
        // app:b follows its file; app:a keeps its runtime version, and the conflict is reported
        #expect(outcome.applied.map(\.description) == ["entry.update app:b"])
        #expect(outcome.runtimeWins.map(\.id.description) == ["app:a"])
        #expect(outcome.runtimeWins.first?.version == 1)
        #expect(registry.entry(EntryID(parsing: "app:a"))?.data == 50)
        #expect(registry.entry(EntryID(parsing: "app:b"))?.data == 2)
        // the file going back to the version the runtime change was made on is no conflict
        #expect(try registry.applyBaseline([entry("app:a", data: 1), entry("app:b", data: 2)]).runtimeWins.isEmpty)
    }

    @Test func bootReportsConflictsAndStartsFromTheNewestCheckpoint() throws {
        let history = MemoryRegistryHistory(keepsCheckpoints: true)
        do {
            let registry = Registry(history: history, checkpointInterval: 10)
            registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
            try registry.boot(baseline: [entry("app:a", data: 0)])
            for value in 1...25 { try registry.apply([.update(entry("app:a", data: .int(Int64(value))))]) }
            #expect(try history.index().checkpoints == [10, 20])
        }
        let registry = Registry(history: history, checkpointInterval: 10)
        registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        let report = try registry.boot(baseline: [entry("app:a", data: -1)])
        #expect(report.checkpoint == 20)
        #expect(report.replayed == 5)
        #expect(registry.version == 25)
        #expect(registry.entry(EntryID(parsing: "app:a"))?.data == 25)
        #expect(report.conflicts.map(\.id.description) == ["app:a"])
        // an old state is still reachable through the checkpoints and the changes after them
        #expect(try registry.snapshot(at: 13).entry(EntryID(parsing: "app:a"))?.data == 13)
        #expect(try registry.snapshot(at: 3).entry(EntryID(parsing: "app:a"))?.data == 3)
        // a clean shutdown checkpoints the head, so the next boot replays nothing
        #expect(try registry.saveCheckpoint())
        let again = Registry(history: history, checkpointInterval: 10)
        again.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        #expect(try again.boot(baseline: [entry("app:a", data: -1)]).replayed == 0)
        #expect(again.entry(EntryID(parsing: "app:a"))?.data == 25)
    }

    @Test func aStaleWriterGetsAConflictNotADuplicate() throws {
        let history = MemoryRegistryHistory()
        let first = Registry(history: history)
        let second = Registry(history: history)
        for registry in [first, second] {
            registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
            try registry.boot(baseline: [])
        }
        try first.apply([.create(entry("app:one"))])
        #expect {
            try second.apply([.create(entry("app:two"))])
        } throws: { error in
            (error as? WippyError)?.kind == .conflict && (error as? WippyError)?.message.contains("meanwhile") == true
        }
        #expect(second.entry(EntryID(parsing: "app:two")) == nil)
        #expect(try history.index().versions.count == 1)
    }
}
