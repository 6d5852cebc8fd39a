import HashTreeCollections
import Testing
@testable import WippyCore

/// A small registry to query: IDs, kinds and metadata chosen so that every operator has hits and misses.
private let sample: [Entry] = [
    entry("app:api", "http.endpoint", meta: [("type", "route"), ("tags", .array(["public", "v1"])), ("order", .int(5))]),
    entry("app:worker", "process.lua", meta: [("type", "worker"), ("enabled", .bool(true)), ("graph.rule", "fan-out")]),
    entry("app.tools:hello", "function.lua", meta: [("type", "tool"), ("mcp", .map([("tool", "greet")]))]),
    entry("lib:helper", "library.lua", meta: [("comment", "Shared HELPER code"), ("tags", .array(["internal"]))]),
    entry("lib:handler", "function.lua", meta: [("order", .double(2.0))]),
]

private func ids(_ pairs: [(String, Payload)]) throws -> [String] {
    try EntryFilter(pairs.map { (key: $0.0, value: $0.1) }).select(from: sample).map(\.id.description)
}

@Suite struct EntryFilterTests {
    @Test func emptyQueryMatchesEverythingSortedByID() throws {
        #expect(try ids([]) == ["app.tools:hello", "app:api", "app:worker", "lib:handler", "lib:helper"])
        #expect(try EntryFilter(query: .null).isEmpty)
    }

    @Test func rootKeysExact() throws {
        #expect(try ids([(".kind", "function.lua")]) == ["app.tools:hello", "lib:handler"])
        #expect(try ids([(".ns", "lib")]) == ["lib:handler", "lib:helper"])
        #expect(try ids([(".name", "worker")]) == ["app:worker"])
        #expect(try ids([(".id", "app:api")]) == ["app:api"])
        // exact means exact: no partial match
        #expect(try ids([(".ns", "app.tool")]) == [])
    }

    @Test func rootKeysGlob() throws {
        #expect(try ids([(".kind", "*.lua")]) == ["app.tools:hello", "app:worker", "lib:handler", "lib:helper"])
        #expect(try ids([(".ns", "app*")]) == ["app.tools:hello", "app:api", "app:worker"])
        #expect(try ids([(".name", "h*r")]) == ["lib:handler", "lib:helper"])
        #expect(try ids([(".id", "lib:*")]) == ["lib:handler", "lib:helper"])
        // prefix and suffix may not overlap: "ab*ba" does not match "aba"
        let overlap = try EntryFilter([(key: ".name", value: "ab*ba")])
        #expect(!overlap.matches(entry("x:aba")))
        #expect(overlap.matches(entry("x:abba")))
        // only the first star is special
        let twoStars = try EntryFilter([(key: ".name", value: "a*b*")])
        #expect(twoStars.matches(entry("x:axb*")))
        #expect(!twoStars.matches(entry("x:axbc")))
    }

    @Test func metaEqualityComparesAsYAMLScalars() throws {
        #expect(try ids([("meta.type", "worker")]) == ["app:worker"])
        #expect(try ids([("meta.enabled", "true")]) == ["app:worker"])
        #expect(try ids([("meta.enabled", .bool(true))]) == ["app:worker"])
        #expect(try ids([("meta.order", "5")]) == ["app:api"])
        #expect(try ids([("meta.order", .int(2))]) == ["lib:handler"])
        #expect(try ids([("meta.order", .double(5))]) == ["app:api"])
        // a missing field never matches
        #expect(try ids([("meta.missing", "x")]) == [])
    }

    @Test func metaKeysWithDots() throws {
        // a key that itself holds a dot
        #expect(try ids([("meta.graph.rule", "fan-out")]) == ["app:worker"])
        // or a nested path
        #expect(try ids([("meta.mcp.tool", "greet")]) == ["app.tools:hello"])
        #expect(try ids([("meta.mcp.other", "greet")]) == [])
    }

    @Test func metaListValueMeansContainsAll() throws {
        #expect(try ids([("meta.tags", .array(["v1"]))]) == ["app:api"])
        #expect(try ids([("meta.tags", .array(["v1", "public"]))]) == ["app:api"])
        #expect(try ids([("meta.tags", .array(["v1", "internal"]))]) == [])
        // a plain value does not match a list field
        #expect(try ids([("meta.tags", "v1")]) == [])
        // a scalar field counts as a one-item list
        #expect(try ids([("meta.type", .array(["route"]))]) == ["app:api"])
    }

    @Test func regexOperator() throws {
        #expect(try ids([("~meta.type", "^(worker|tool)$")]) == ["app.tools:hello", "app:worker"])
        #expect(try ids([("~meta.comment", "HELP")]) == ["lib:helper"])
        #expect(try ids([("~.name", "^h")]) == ["app.tools:hello", "lib:handler", "lib:helper"])
        #expect(throws: WippyError.self) { try EntryFilter([(key: "~meta.type", value: "(unclosed")]) }
        do {
            _ = try EntryFilter([(key: "~meta.type", value: "(unclosed")])
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.contains("~meta.type"))
        }
    }

    @Test func containsOperatorIncludingListElements() throws {
        #expect(try ids([("*meta.comment", "HELPER")]) == ["lib:helper"])
        #expect(try ids([("*meta.comment", "helper")]) == [])
        #expect(try ids([("*meta.tags", "ubl")]) == ["app:api"])
        #expect(try ids([("*meta.tags", "intern")]) == ["lib:helper"])
    }

    @Test func prefixAndSuffixOperators() throws {
        #expect(try ids([("^meta.type", "wor")]) == ["app:worker"])
        #expect(try ids([("$meta.type", "ol")]) == ["app.tools:hello"])
        #expect(try ids([("^meta.type", "ker")]) == [])
        #expect(try ids([("^.ns", "app")]) == ["app.tools:hello", "app:api", "app:worker"])
        #expect(try ids([("$.kind", ".lua"), ("^meta.type", "t")]) == ["app.tools:hello"])
    }

    @Test func allConditionsMustHold() throws {
        #expect(try ids([(".kind", "function.lua"), (".ns", "lib")]) == ["lib:handler"])
        #expect(try ids([(".kind", "function.lua"), ("meta.type", "worker")]) == [])
    }

    @Test func otherKeysAreIgnoredAndReported() throws {
        let filter = try EntryFilter([
            (key: "kind", value: "function.lua"), (key: "meta", value: .map([("type", "tool")])), (key: ".other", value: "x"),
        ])
        #expect(filter.ignoredKeys == [".other", "kind", "meta"])
        #expect(filter.isEmpty)
        #expect(filter.select(from: sample).count == sample.count)
    }

    @Test func badValuesAreInvalidNamingTheKey() throws {
        do {
            _ = try EntryFilter([(key: ".kind", value: .map([("a", "b")]))])
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.contains(".kind"))
        }
        #expect(throws: WippyError.self) { try EntryFilter(query: .string("x")) }
        #expect(throws: WippyError.self) { try EntryFilter(query: .array(["x"])) }
    }

    @Test func equivalentQueriesShareACacheKey() throws {
        let one = try EntryFilter([(key: ".kind", value: "a"), (key: "meta.x", value: .int(1))])
        let two = try EntryFilter([(key: "meta.x", value: "1"), (key: ".kind", value: "a")])
        let other = try EntryFilter([(key: "^meta.x", value: "1"), (key: ".kind", value: "a")])
        #expect(one.cacheKey == two.cacheKey)
        #expect(one.cacheKey != other.cacheKey)
    }
}

@Suite struct EntryFinderTests {
    @Test func repeatedFindsOnTheSameGenerationHitTheCache() throws {
        let finder = EntryFinder()
        let snapshot = RegistrySnapshot(version: 1, entries: RegistryEntries(uniqueKeysWithValues: sample.map { ($0.id, $0) }), generation: 3)
        let filter = try finder.filter(query: .map([(".kind", "function.lua")]))
        #expect(finder.find(filter, in: snapshot).count == 2)
        #expect(finder.find(filter, in: snapshot).count == 2)
        #expect(finder.statistics.hits == 1)
        #expect(finder.statistics.misses == 1)
    }

    @Test func aNewerGenerationDropsOldResults() throws {
        let finder = EntryFinder()
        var entries = RegistryEntries(uniqueKeysWithValues: sample.map { ($0.id, $0) })
        let filter = try finder.filter(query: .map([(".kind", "function.lua")]))
        #expect(finder.find(filter, in: RegistrySnapshot(version: 1, entries: entries, generation: 1)).count == 2)
        entries[EntryID(parsing: "x:new")] = entry("x:new", "function.lua")
        #expect(finder.find(filter, in: RegistrySnapshot(version: 1, entries: entries, generation: 2)).count == 3)
        #expect(finder.statistics.hits == 0)
    }

    @Test func snapshotsThatWereNeverLiveAreNotCached() throws {
        let finder = EntryFinder()
        let snapshot = RegistrySnapshot(version: 0, entries: RegistryEntries(uniqueKeysWithValues: sample.map { ($0.id, $0) }))
        let filter = try finder.filter(query: .null)
        _ = finder.find(filter, in: snapshot)
        _ = finder.find(filter, in: snapshot)
        #expect(finder.statistics.hits == 0)
    }

    @Test func liveRegistrySnapshotsCarryAGrowingGeneration() throws {
        let registry = Registry()
        registry.add(participant: RecordingParticipant(kinds: ["test.kind"]))
        try registry.boot(baseline: [entry("app:a")])
        let first = registry.snapshot.generation
        try registry.apply([.create(entry("app:b"))])
        #expect(registry.snapshot.generation > first)
        #expect(try registry.snapshot(at: 1).generation == 0)
    }

    @Test func ignoredKeysAreReportedOnce() {
        let finder = EntryFinder()
        #expect(finder.firstSightings(of: ["kind", "type"]) == ["kind", "type"])
        #expect(finder.firstSightings(of: ["kind", "meta"]) == ["meta"])
    }
}

@Suite struct LRUCacheTests {
    @Test func dropsLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 2)
        cache.insert(1, for: "a")
        cache.insert(2, for: "b")
        _ = cache.value(for: "a")
        cache.insert(3, for: "c")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1)
        #expect(cache.value(for: "c") == 3)
        #expect(cache.count == 2)
    }

    @Test func boundsTotalWeight() {
        var cache = LRUCache<String, Int>(capacity: 10, maximumWeight: 10)
        cache.insert(1, for: "a", weight: 6)
        cache.insert(2, for: "b", weight: 6)
        #expect(cache.value(for: "a") == nil)
        #expect(cache.totalWeight == 6)
        cache.insert(3, for: "huge", weight: 11)
        #expect(cache.value(for: "huge") == nil)
        #expect(cache.value(for: "b") == 2)
    }

    @Test func reinsertingReplacesAndReusesSlots() {
        var cache = LRUCache<Int, Int>(capacity: 3)
        for round in 0..<5 {
            for key in 0..<6 { cache.insert(key * round, for: key) }
        }
        #expect(cache.count == 3)
        #expect(cache.value(for: 5) == 20)
        #expect(cache.value(for: 0) == nil)
    }
}
