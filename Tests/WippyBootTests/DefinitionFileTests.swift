import Testing
import WippyCore

@testable import WippyBoot

/// Loads `project` and returns its entries keyed by ID string.
func loadEntries(_ project: TemporaryProject) throws -> [String: Entry] {
    let loaded = try ProjectLoader(projectRoot: project.root).load()
    return Dictionary(uniqueKeysWithValues: loaded.entries.map { ($0.id.description, $0) })
}

/// Loads `project`, expecting a failure, and returns it.
func loadError(_ project: TemporaryProject) -> ProjectError? {
    do {
        _ = try ProjectLoader(projectRoot: project.root).load()
        return nil
    } catch {
        return error
    }
}

@Suite struct DefinitionFileTests {
    @Test func batchFileEntriesGetDataFromTheirOtherKeys() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                """
                version: "1.0"
                namespace: app.api
                entries:
                  - name: get_user
                    kind: function.lua
                    meta: {comment: Fetches user}
                    source: return 1
                    method: handler
                    modules: [sql, json]
                  - name: settings
                    kind: registry.entry
                """)
            let entries = try loadEntries(project)
            let entry = try #require(entries["app.api:get_user"])
            #expect(entry.kind == "function.lua")
            #expect(entry.meta["comment"] == .string("Fetches user"))
            #expect(entry.data == .map([("source", "return 1"), ("method", "handler"), ("modules", .array(["sql", "json"]))]))
            #expect(entry.origin?.file == "src/_index.yaml")
            #expect(entry.origin?.line == 4)
            let settings = try #require(entries["app.api:settings"])
            #expect(settings.data.tableValue?.isEmpty == true)
            #expect(settings.origin?.line == 10)
        }
    }

    @Test func singleEntryFileUsesTopLevelKeys() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/worker.yaml",
                """
                version: "1.0"
                namespace: app
                name: worker
                kind: process.lua
                meta: {type: service}
                requirements: [x]
                source: print(1)
                method: main
                data: kept-as-data
                """)
            let entry = try #require(try loadEntries(project)["app:worker"])
            #expect(entry.kind == "process.lua")
            #expect(entry.meta == PayloadTable(fields: [PayloadField(key: "type", value: "service")]))
            #expect(entry.data == .map([("source", "print(1)"), ("method", "main"), ("data", "kept-as-data")]))
            #expect(entry.origin?.line == 3)
        }
    }

    @Test func fileLevelMetaIsMergedAndEntryMetaWins() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                """
                namespace: app
                meta:
                  owner: team-a
                  type: default
                entries:
                  - name: a
                    kind: registry.entry
                    meta: {type: special, extra: 1}
                  - name: b
                    kind: registry.entry
                """)
            let entries = try loadEntries(project)
            let a = try #require(entries["app:a"])
            #expect(a.meta["owner"] == .string("team-a"))
            #expect(a.meta["type"] == .string("special"))
            #expect(a.meta["extra"] == .int(1))
            #expect(entries["app:b"]?.meta == PayloadTable(fields: [
                PayloadField(key: "owner", value: "team-a"), PayloadField(key: "type", value: "default"),
            ]))
        }
    }

    @Test func dataKeyIsTheWholeDataAndOtherKeysAreIgnored() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                """
                namespace: app
                entries:
                  - name: wrapped
                    kind: registry.entry
                    data: {a: 1}
                    ignored: true
                  - name: scalar
                    kind: registry.entry
                    data: 5
                """)
            let entries = try loadEntries(project)
            #expect(entries["app:wrapped"]?.data == .map([("a", 1)]))
            #expect(entries["app:scalar"]?.data == .int(5))
        }
    }

    @Test func yamlTypingInEntryData() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                """
                namespace: app
                entries:
                  - name: typed
                    kind: registry.entry
                    answer: yes
                    count: 42
                    ratio: 4.0
                    mask: 0x1F
                    text: "42"
                    nothing: ~
                    nested: {list: [1, {deep: [true, off]}]}
                """)
            let data = try #require(try loadEntries(project)["app:typed"]?.data)
            #expect(data["answer"] == .string("yes"))
            #expect(data["count"] == .int(42))
            #expect(data["ratio"] == .double(4.0))
            #expect(data["mask"] == .int(31))
            #expect(data["text"] == .string("42"))
            #expect(data["nothing"] == .null)
            #expect(data["nested"] == .map([("list", .array([1, .map([("deep", .array([true, "off"]))])]))]))
        }
    }

    @Test func emptyEntriesListIsFine() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries: []\n")
            #expect(try loadEntries(project).isEmpty)
        }
    }

    @Test func filesWithoutNamespaceAreIgnored() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/wippy.yaml", "organization: acme\nmodule: x\nentries: nonsense\n")
            try project.write("src/list.yaml", "- a\n- b\n")
            try project.write("src/empty.yml", "")
            try project.write("src/blank.yaml", "namespace: \"\"\nname: x\n")
            try project.write("src/number.yaml", "namespace: 42\nname: x\n")
            try project.write("src/package.json", #"{"name": "thing", "version": "1.0.0"}"#)
            try project.write("src/notes.txt", "namespace: app\n:::\n")
            #expect(try loadEntries(project).isEmpty)
        }
    }

    @Test func jsonDefinitionFilesAreLoaded() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/defs.json",
                #"{"namespace": "app", "entries": [{"name": "j", "kind": "registry.entry", "n": 1, "f": 1.5}]}"#)
            let entry = try #require(try loadEntries(project)["app:j"])
            #expect(entry.data == .map([("n", 1), ("f", 1.5)]))
        }
    }

    @Test func namespaceWithoutEntriesOrNameAndKindIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nversion: \"1.0\"\n")
            let error = try #require(loadError(project))
            #expect(error.file == "src/_index.yaml")
            #expect(error.message.contains("neither an `entries` list nor top-level `name` and `kind`"))
        }
    }

    @Test func entriesThatIsNotAListIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  name: x\n")
            let error = try #require(loadError(project))
            #expect(error.line == 3)
            #expect(error.message == "`entries` must be a list")
        }
    }

    @Test func missingNameNamesFileLineAndEntryPosition() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                "namespace: app\nentries:\n  - name: ok\n    kind: registry.entry\n  - kind: registry.entry\n")
            let error = try #require(loadError(project))
            #expect(error.description == "src/_index.yaml:5: entry app:#2: missing `name` (a non-empty string is required)")
        }
    }

    @Test func missingOrEmptyKindNamesTheEntry() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: worker\n    kind: \"\"\n")
            let error = try #require(loadError(project))
            #expect(error.entry == "app:worker")
            #expect(error.line == 3)
            #expect(error.message.contains("`kind` must be a non-empty string"))
        }
    }

    @Test func nonStringNameIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: 42\n    kind: registry.entry\n")
            let error = try #require(loadError(project))
            #expect(error.message.contains("`name` must be a non-empty string, found a number (42)"))
        }
    }

    @Test func entryThatIsNotAMappingIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - just-a-string\n")
            let error = try #require(loadError(project))
            #expect(error.file == "src/_index.yaml")
            #expect(error.line == 3)
            #expect(error.message.contains("entries item #1 is not a mapping"))
        }
    }

    @Test func metaThatIsNotAMappingIsAnError() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/_index.yaml", "namespace: app\nentries:\n  - name: a\n    kind: k\n    meta: [1]\n")
            let error = try #require(loadError(project))
            #expect(error.entry == "app:a")
            #expect(error.message == "`meta` must be a mapping")
        }
    }

    @Test func malformedYAMLStopsTheLoadWithFileAndLine() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write("src/app/_index.yaml", "namespace: app\nentries:\n  - name: a\n   kind: bad indent\n")
            let error = try #require(loadError(project))
            #expect(error.file == "src/app/_index.yaml")
            #expect(error.line == 4)
            #expect(error.message.hasPrefix("invalid YAML"))
        }
    }

    @Test func mergeKeysWorkInsideEntries() throws {
        try TemporaryProject.with { project in
            try project.writeLock()
            try project.write(
                "src/_index.yaml",
                """
                namespace: app
                entries:
                  - &host
                    name: one
                    kind: process.host
                    lifecycle: {auto_start: true}
                  - <<: *host
                    name: two
                """)
            let entries = try loadEntries(project)
            #expect(entries["app:two"]?.kind == "process.host")
            #expect(entries["app:two"]?.data == entries["app:one"]?.data)
        }
    }
}
