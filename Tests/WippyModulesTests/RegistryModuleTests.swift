import Logging
import Testing
import WippyCore
import WippyRuntime

/// Accepts every change of `test.*` kinds; rejects entries whose `data.reject` is set, with that message.
private final class TestKinds: RegistryParticipant {
    func handles(kind: String) -> Bool { kind.hasPrefix("test.") }
    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        if let message = change.entry.data["reject"]?.stringValue { throw WippyError.invalid(message) }
    }
    func finish(_ transaction: RegistryTransaction) throws(WippyError) {}
    func commit(_ transaction: RegistryTransaction) {}
    func discard(_ transaction: RegistryTransaction) {}
}

private func entry(_ id: String, _ kind: String, meta: [(String, Payload)] = [], data: Payload = .null) -> Entry {
    var table = PayloadTable(isObject: true)
    for (key, value) in meta { table[key] = value }
    return Entry(id: EntryID(parsing: id), kind: kind, meta: table, data: data)
}

/// The `registry` module over a live registry holding a few entries.
@Suite struct RegistryModuleTests {
    let registry: Registry
    let harness: ModulesHarness

    init() throws {
        registry = Registry()
        registry.add(participant: TestKinds())
        try registry.boot(baseline: [
            entry("app:api", "test.endpoint", meta: [("type", "route"), ("tags", .array(["public", "v1"]))]),
            entry("app:worker", "test.process", meta: [("type", "worker"), ("graph.rule", "fan-out")], data: .map([("n", 1)])),
            entry("lib:helper", "test.library", meta: [("comment", "shared helper")]),
        ])
        harness = ModulesHarness(registry: registry)
    }

    func run(_ body: String) async -> ProcessResult {
        harness.install("test:main", source: "return function()\n\(body)\nend", modules: ["registry"])
        return await harness.runEntry("test:main")
    }

    @Test func getReturnsEntryTables() async {
        let result = await run("""
            local e = registry.get("app:worker")
            local missing, err = registry.get("app:nope")
            return {e.id, e.kind, e.meta.type, e.meta["graph.rule"], e.data.n, missing == nil, err:kind(), tostring(err)}
            """)
        #expect(result.value == .array([
            "app:worker", "test.process", "worker", "fan-out", 1, true, "NotFound", "entry not found: app:nope",
        ]))
    }

    @Test func findSpeaksTheFinderLanguage() async {
        let result = await run("""
            local function ids(list)
                local out = {}
                for _, e in ipairs(list) do out[#out + 1] = e.id end
                table.sort(out)
                return table.concat(out, ",")
            end
            return {
                ids(registry.find({[".kind"] = "test.endpoint"})),
                ids(registry.find({[".ns"] = "app"})),
                ids(registry.find({["meta.type"] = "worker"})),
                ids(registry.find({["meta.graph.rule"] = "fan-out"})),
                ids(registry.find({["meta.tags"] = {"v1"}})),
                ids(registry.find({["~meta.type"] = "^(route|worker)$"})),
                ids(registry.find({["*meta.comment"] = "help"})),
                ids(registry.find({["^meta.type"] = "wo"})),
                ids(registry.find({["$meta.type"] = "ute"})),
                ids(registry.find({[".name"] = "*er"})),
                ids(registry.find({kind = "test.endpoint"})),
            }
            """)
        #expect(result.value == .array([
            "app:api", "app:api,app:worker", "app:worker", "app:worker", "app:api", "app:api,app:worker", "lib:helper",
            "app:worker", "app:api", "app:worker,lib:helper", "app:api,app:worker,lib:helper",
        ]))
        // the ignored key was reported once
        #expect(harness.records.all.contains { $0.level == .warning && $0.message.contains("'kind'") })
    }

    @Test func badFiltersAreInvalid() async {
        let result = await run("""
            local a, e1 = registry.find({["~meta.type"] = "("})
            local b, e2 = registry.find("x")
            return {a == nil, e1:kind(), b == nil, e2:kind()}
            """)
        #expect(result.value == .array([true, "Invalid", true, "Invalid"]))
    }

    @Test func parseIDNeverFails() async {
        let result = await run("""
            local a = registry.parse_id("app.sub:name")
            local b = registry.parse_id("bare")
            return {a.ns, a.name, b.ns, b.name}
            """)
        #expect(result.value == .array(["app.sub", "name", "", "bare"]))
    }

    @Test func changesMakeVersionsOneByOne() async {
        let result = await run("""
            local snap = registry.snapshot()
            local v0 = snap:version():string()
            local changes = snap:changes()
            changes:create({id = "app:new", kind = "test.thing", meta = {type = "fresh"}, data = {x = 1}})
                   :update({id = {ns = "app", name = "worker"}, kind = "test.process", data = {n = 2}})
            local ops = changes:ops()
            local v1 = changes:apply()
            local c2 = registry.snapshot():changes()
            c2:delete("app:new")
            local v2 = c2:apply()
            local current = registry.current_version()
            return {
                v0, #ops, ops[1].kind, ops[2].kind, ops[1].entry.id,
                v1:string(), v1:id(), v2:string(), current:id(), v2:previous():string(), v1:next():string(),
                registry.get("app:worker").data.n, registry.get("app:new") == nil,
                #registry.versions(), tostring(v2),
            }
            """)
        #expect(result.value == .array([
            "v0", 2, "entry.create", "entry.update", "app:new", "v1", 1, "v2", 2, "v1", "v2", 2, true, 2,
            "registry.Version{id=2}",
        ]))
        #expect(registry.version == 2)
    }

    /// Issue 7, item 9: the first recorded version was made from the baseline, which is no version: its
    /// `previous()` is nil (not a "v0" that `snapshot_at` refuses).
    @Test func previousOfTheFirstVersionIsNil() async {
        let result = await run("""
            local c = registry.snapshot():changes()
            c:create({id = "app:first", kind = "test.thing"})
            local v1 = c:apply()
            local c2 = registry.snapshot():changes()
            c2:create({id = "app:second", kind = "test.thing"})
            local v2 = c2:apply()
            return {v1:previous() == nil, v2:previous():id(), registry.versions()[1]:previous() == nil,
                registry.snapshot():version():previous():id()}
            """)
        #expect(result.value == .array([true, 1, true, 1]))
    }

    @Test func snapshotsAtVersionsAndRollback() async {
        let result = await run("""
            local c = registry.snapshot():changes()
            c:create({id = "app:one", kind = "test.thing"})
            local v1 = c:apply()
            local c2 = registry.snapshot():changes()
            c2:create({id = "app:two", kind = "test.thing"})
            local v2 = c2:apply()
            local at1 = registry.snapshot_at(1)
            local a1 = at1:get("app:two")
            local h = registry.history()
            local hv = h:get_version(2)
            local missing, herr = h:get_version(9)
            local ok = registry.apply_version(v1)
            local after = registry.get("app:two")
            local snap = registry.snapshot()
            local names = {}
            for _, e in ipairs(snap:namespace("app")) do names[#names + 1] = e.id end
            return {
                at1:version():string(), a1 == nil, hv:string(), #h:versions(), missing == nil, herr:kind(), ok,
                after == nil, registry.current_version():string(), table.concat(names, ","), #snap:entries(),
                h:snapshot_at(v2):get("app:two").id,
            }
            """)
        #expect(result.value == .array([
            "v1", true, "v2", 2, true, "NotFound", true, true, "v1", "app:api,app:one,app:worker", 4, "app:two",
        ]))
        #expect(registry.version == 1)
    }

    @Test func errorCases() async {
        let result = await run("""
            local empty, e1 = registry.snapshot():changes():apply()
            local bad, e2 = registry.snapshot():changes():create({id = "app:x"})
            local badid, e3 = registry.snapshot():changes():delete("noname")
            local c = registry.snapshot():changes()
            c:create({id = "app:rejected", kind = "test.thing", data = {reject = "not today"}})
            local rejected, e4 = c:apply()
            local c2 = registry.snapshot():changes()
            c2:update({id = "app:ghost", kind = "test.thing"})
            local ghost, e5 = c2:apply()
            local s0, e6 = registry.snapshot_at(0)
            local s9, e7 = registry.snapshot_at(9)
            local okv, e8 = registry.apply_version("v1")
            return {
                tostring(e1), e1:kind(), e2:kind(), e3:kind(), rejected == nil, tostring(e4), e5:kind(),
                e6:kind(), e7:kind(), okv, e8:kind(), registry.get("app:rejected") == nil,
            }
            """)
        #expect(result.value == .array([
            "no changes to apply", "Invalid", "Invalid", "Invalid", true, "entry app:rejected: not today", "NotFound",
            "Invalid", "NotFound", false, "Invalid", true,
        ]))
        #expect(registry.version == 0)
    }

    @Test func buildDeltaSkipsMalformedEntries() async {
        let result = await run("""
            local from = {{id = "a:x", kind = "k", data = 1}, {id = "a:gone", kind = "k"}, {kind = "broken"}}
            local to = {{id = "a:x", kind = "k", data = 2}, {id = "a:new", kind = "k"}, "junk"}
            local delta = registry.build_delta(from, to)
            local out = {}
            for _, op in ipairs(delta) do out[#out + 1] = op.kind .. " " .. op.entry.id end
            return out
            """)
        #expect(result.value == .array(["entry.delete a:gone", "entry.create a:new", "entry.update a:x"]))
    }
}
