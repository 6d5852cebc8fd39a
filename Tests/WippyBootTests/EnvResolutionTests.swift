import Foundation
import HashTreeCollections
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources

/// The env rules without Lua: `.env` parsing and rewriting, variable resolution through storages (defaults,
/// empty values, routers, read-only storages and variables, names by public name, ID and namespace), typed
/// whole-field placeholders, ordering after the variables a placeholder names, and entry errors at boot.
@Suite struct EnvResolutionTests {
    static let app = "app"

    func id(_ name: String) -> EntryID { EntryID(namespace: Self.app, name: name) }

    // MARK: - .env files

    @Test func dotEnvParsing() {
        let file = DotEnvFile(parsing: """
            # comment
            export A=1
            B = two words # trailing comment
            C="quoted # not a comment\\nnext"
            D='single $x'
            not an assignment
            E=
            A=3
            """)
        #expect(file.values == ["A": "3", "B": "two words", "C": "quoted # not a comment\nnext", "D": "single $x", "E": ""])
    }

    @Test func dotEnvRewriteKeepsCommentsAndQuotesWhatNeedsIt() {
        var file = DotEnvFile(parsing: "# head\nA=1\n\nB=2\n")
        file.set("A", "one two")
        file.set("C", "x\"y")
        file.set("B", "plain-value")
        #expect(file.text == "# head\nA=\"one two\"\n\nB=plain-value\nC=\"x\\\"y\"\n")
        #expect(DotEnvFile(parsing: file.text).values == ["A": "one two", "B": "plain-value", "C": "x\"y"])
    }

    // MARK: - Catalog rules

    func catalog() throws -> EnvCatalog {
        var catalog = EnvCatalog()
        catalog.setStorage(id("mem"), .values(MemoryEnvStorage(["A": "from-mem", "EMPTY": ""])))
        catalog.setStorage(id("fixed"), .values(StaticEnvStorage(id: id("fixed"), values: ["A": "from-static", "B": "b"])))
        catalog.setStorage(id("os"), .values(OSEnvStorage(id: id("os"))))
        catalog.setStorage(id("router"), .router([id("mem"), id("fixed")]))
        try catalog.setVariable(EnvVariable(id: id("a"), publicName: "A", storage: id("router"), defaultValue: nil, readOnly: false))
        try catalog.setVariable(EnvVariable(id: id("b"), publicName: "B", storage: id("router"), defaultValue: nil, readOnly: false))
        try catalog.setVariable(EnvVariable(id: id("empty"), publicName: "EMPTY", storage: id("mem"), defaultValue: "dflt", readOnly: false))
        try catalog.setVariable(EnvVariable(id: id("ro"), publicName: nil, storage: id("mem"), defaultValue: "x", readOnly: true))
        try catalog.setVariable(EnvVariable(id: id("path"), publicName: "PATH", storage: id("os"), defaultValue: nil, readOnly: false))
        return catalog
    }

    func kind(_ body: () throws -> Void) -> ErrorKind? {
        do {
            try body()
            return nil
        } catch let error as WippyError {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test func routerReadsInOrderAndWritesToTheFirst() throws {
        let catalog = try catalog()
        #expect(try catalog.get("A") == "from-mem")
        #expect(try catalog.get("B") == "b")
        try catalog.set("B", "written")
        #expect(try catalog.get("B") == "written")
        #expect(try catalog.read(storage: id("mem"), key: "B") == "written")
        #expect(try catalog.read(storage: id("fixed"), key: "B") == "b")
    }

    @Test func namesDefaultsAndRefusals() throws {
        let catalog = try catalog()
        #expect(try catalog.get("EMPTY") == "dflt")
        #expect(try catalog.get("app:empty") == "dflt")
        #expect(try catalog.get("ro", namespace: "app") == "x")
        #expect(kind { _ = try catalog.get("ro") } == .notFound)
        #expect(kind { _ = try catalog.get("") } == .invalid)
        #expect(kind { _ = try catalog.get("NOPE") } == .notFound)
        #expect(kind { try catalog.set("ro", "y", namespace: "app") } == .permissionDenied)
        #expect(kind { try catalog.set("PATH", "/x") } == .permissionDenied)
        #expect(try catalog.get("PATH") == OSEnvStorage.get("PATH"))
        var copy = catalog
        #expect(kind {
            try copy.setVariable(EnvVariable(id: id("other"), publicName: "A", storage: id("mem"), defaultValue: nil, readOnly: false))
        } == .alreadyExists)
        copy.setStorage(id("loop"), .router([id("loop")]))
        try copy.setVariable(EnvVariable(id: id("loopy"), publicName: "LOOPY", storage: id("loop"), defaultValue: nil, readOnly: false))
        #expect(kind { _ = try copy.get("LOOPY") } == .invalid)
    }

    @Test func getAllMergesRawStorageContentsWithoutDefaults() throws {
        let all = try catalog().all()
        #expect(all["B"] == "b")
        #expect(all["PATH"] == OSEnvStorage.get("PATH"))
        #expect(all["EMPTY"] == "")
        #expect(all["ro"] == nil)
    }

    @Test func placeholdersGoThroughDeclaredVariablesThenTheOS() throws {
        let catalog = try catalog()
        let lookup = EnvRegistry.lookup { catalog }
        #expect(try EnvPlaceholders.expand("${env:A}/${B|z}/${env:app:empty}/${env:PATH}", environment: lookup)
            == "from-mem/b/dflt/\(OSEnvStorage.get("PATH") ?? "")")
        #expect(try EnvPlaceholders.expand("${UNSET_\(UUID().uuidString.prefix(4))_X|fallback}", environment: lookup) == "fallback")
    }

    @Test func wholeFieldPlaceholdersTakeTheDefaultsType() throws {
        let expander = EnvEntryExpander(environment: .fixed(["PORT": "9000", "DEBUG": "true", "RATIO": "2", "WORD": "abc"]))
        let entry = Entry(
            id: id("x"), kind: "some.kind",
            data: .map([
                ("port", "${PORT|8080}"), ("unset", "${OTHER|42}"), ("debug", "${env:DEBUG|false}"), ("ratio", "${RATIO|0.5}"),
                ("word", "${WORD|1}"), ("mixed", "p${PORT|1}"), ("list", .array(["${env:PORT}", "$${env:PORT}"])),
            ]))
        let data = try expander.expand(entry).data
        #expect(data["port"] == .int(9000))
        #expect(data["unset"] == .int(42))
        #expect(data["debug"] == .bool(true))
        #expect(data["ratio"] == .double(2))
        #expect(data["word"] == .string("abc"))
        #expect(data["mixed"] == .string("p9000"))
        #expect(data["list"] == .array(["9000", "${env:PORT}"]))
        let code = Entry(id: id("f"), kind: "function.lua", data: .map([("source", "x = '${env:NOPE_NEVER}'"), ("method", "${M|main}")]))
        let expanded = try expander.expand(code)
        #expect(expanded.data["source"] == .string("x = '${env:NOPE_NEVER}'"))
        #expect(expanded.data["method"] == .string("main"))
        do {
            _ = try expander.expand(Entry(id: id("y"), kind: "k", data: .map([("pool", .map([("host", "${env:NOPE_NEVER}")]))])))
            Issue.record("an unset placeholder was accepted")
        } catch {
            #expect(error.message.hasPrefix("field 'pool.host': environment variable NOPE_NEVER is not set"))
        }
    }

    @Test func placeholdersOrderEntriesAfterTheVariablesTheyName() {
        let resolver = DependencyResolver()
        let variable = Entry(id: id("port"), kind: "env.variable", data: .map([("variable", "PORT"), ("storage", "mem")]))
        let other = Entry(id: id("other"), kind: "env.variable", data: .map([("storage", "mem")]))
        let user = Entry(id: id("a_user"), kind: "db.sql.sqlite", data: .map([("file", "${PORT|1}-${env:app:other}-$${env:SKIP}")]))
        var state = RegistryEntries()
        for entry in [variable, other, user] { state[entry.id] = entry }
        #expect(DependencyResolver.placeholderNames(in: user.data) == ["PORT", "app:other"])
        #expect(resolver.dependencies(of: user, in: state) == [id("other"), id("port")])
        let order = resolver.order([.create(user), .create(variable), .create(other)], before: [:], after: state).map(\.id)
        #expect(order.last == id("a_user"))
    }

    // MARK: - Boot errors

    func bootError(_ entries: String) throws -> String {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", "version: \"1.0\"\nnamespace: app\nentries:\n" + entries)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        do {
            _ = try Application(options: options, modules: StandardModules.all(terminal: nil), logger: Logger(label: "test"))
            Issue.record("booted")
            return ""
        } catch {
            return error.message
        }
    }

    @Test func badEntriesNameTheEntryAndField() throws {
        #expect(try bootError("  - {name: v, kind: env.variable, variable: BAD-NAME, storage: m}\n  - {name: m, kind: env.storage.memory}\n")
            .contains("entry app:v: 'variable' must be letters, digits and '_' (got \"BAD-NAME\")"))
        #expect(try bootError("  - {name: v, kind: env.variable, variable: X, storage: nowhere}\n")
            .contains("entry app:v: 'storage': env storage app:nowhere does not exist"))
        #expect(try bootError("  - {name: f, kind: env.storage.file}\n").contains("entry app:f: 'file_path' is required"))
        #expect(try bootError("  - {name: s, kind: env.storage.static, value: {A: b}}\n").contains("entry app:s: unknown field 'value'"))
        #expect(try bootError("  - {name: d, kind: db.sql.sqlite, file: \"${env:NEVER_SET_ANYWHERE_X}.db\"}\n")
            .contains("entry app:d: field 'file': environment variable NEVER_SET_ANYWHERE_X is not set"))
        #expect(try bootError("""
              - {name: m, kind: env.storage.memory}
              - {name: a, kind: env.variable, variable: SAME, storage: m}
              - {name: b, kind: env.variable, variable: SAME, storage: m}

            """).contains("variable name 'SAME' is already used by app:a"))
    }

    @Test func storageChangesReachRunningCodeAndAFileStorageCanBeCreated() async throws {
        let app = try TestApplication(index: """
            version: "1.0"
            namespace: app
            entries:
              - {name: fixed, kind: env.storage.static, values: {COLOR: red}}
              - {name: color, kind: env.variable, variable: COLOR, storage: fixed}
              - {name: made, kind: env.storage.file, file_path: ./var/new.env, auto_create: true, file_mode: "0600"}
            """, history: .memory)
        #expect(try app.app.environment.catalog.get("COLOR") == "red")
        let attributes = try FileManager.default.attributesOfItem(atPath: app.project.root + "/var/new.env")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        _ = try app.app.registry.apply([
            .update(Entry(id: id("fixed"), kind: "env.storage.static", data: .map([("values", .map([("COLOR", "blue")]))])))
        ])
        #expect(try app.app.environment.catalog.get("COLOR") == "blue")
        // The raw entry stays in the registry; a rejected change leaves the catalog as it was.
        #expect(throws: WippyError.self) {
            try app.app.registry.apply([
                .update(Entry(id: id("fixed"), kind: "env.storage.static", data: .map([("values", "nope")])))
            ])
        }
        #expect(try app.app.environment.catalog.get("COLOR") == "blue")
    }
}
