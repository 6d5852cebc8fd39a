import Testing

/// `wippy registry list|show` on the `registry` fixture, and the Lua `registry` module changing a running app.
@Suite struct RegistryCommandTests {
    let fixture = WippyBinary.fixture("registry")

    func wippy(_ arguments: String...) async throws -> WippyBinary.Run {
        try await WippyBinary.run(arguments, in: fixture)
    }

    @Test func listPrintsASortedTableWithATotal() async throws {
        let run = try await wippy("registry", "list")
        #expect(run.status == 0)
        #expect(run.stdout == """
            ID                  KIND
            app.tools:greet     function.lua
            app.tools:settings  registry.entry
            app:main            process.lua
            app:settings        registry.entry
            app:terminal        terminal.host
            Total: 5 entries

            """)
    }

    @Test func listFilters() async throws {
        let kind = try await wippy("registry", "list", "-k", "registry.*")
        #expect(kind.stdout.contains("Total: 2 entries"))
        let namespace = try await wippy("registry", "list", "--ns", "*.tools")
        #expect(namespace.stdout.contains("app.tools:greet") && namespace.stdout.contains("Total: 2 entries"))
        let name = try await wippy("registry", "list", "--name", "gr*")
        #expect(name.stdout.contains("app.tools:greet") && name.stdout.contains("Total: 1 entry"))
        let equal = try await wippy("registry", "list", "--meta", "enabled=true")
        #expect(equal.stdout.contains("app:settings") && equal.stdout.contains("Total: 1 entry"))
        let contains = try await wippy("registry", "list", "--meta", "tags*dem")
        #expect(contains.stdout.contains("app:main") && contains.stdout.contains("Total: 1 entry"))
        let regex = try await wippy("registry", "list", "--meta", "type~^(tool|command)$")
        #expect(regex.stdout.contains("Total: 2 entries"))
        let prefixSuffix = try await wippy("registry", "list", "--meta", "type^con", "--meta", "owner$ols")
        #expect(prefixSuffix.stdout.contains("app.tools:settings") && prefixSuffix.stdout.contains("Total: 1 entry"))
        let dotted = try await wippy("registry", "list", "--meta", "mcp.tool=greet")
        #expect(dotted.stdout.contains("Total: 1 entry"))
        let none = try await wippy("registry", "list", "--kind", "nothing")
        #expect(none.stdout == "No entries found\n")
    }

    @Test func listPrintsJSONAndYAML() async throws {
        let json = try await wippy("registry", "list", "--name", "main", "--json")
        #expect(json.stdout == #"[{"id":"app:main","kind":"process.lua","meta":{"type":"command","tags":["cli","demo"]}}]"# + "\n")
        let yaml = try await wippy("registry", "list", "--name", "main", "--yaml")
        #expect(yaml.stdout == """
            - id: app:main
              kind: process.lua
              meta:
                tags:
                - cli
                - demo
                type: command

            """)
    }

    @Test func badFiltersAreErrors() async throws {
        let meta = try await wippy("registry", "list", "--meta", "novalue")
        #expect(meta.status == 1)
        #expect(meta.stderr.contains("--meta 'novalue'"))
        let regex = try await wippy("registry", "list", "--meta", "type~(")
        #expect(regex.status == 1)
        #expect(regex.stderr.contains("invalid regex"))
    }

    @Test func showPrintsIDKindMetadataAndData() async throws {
        let run = try await wippy("registry", "show", "app:settings")
        #expect(run.status == 0)
        #expect(run.stdout == """
            ID: app:settings
            Kind: registry.entry
            Metadata:
              comment: Shared settings
              enabled: true
              type: config
            Data:
              level: 3
              mode: 'true'

            """)
    }

    @Test func showFindsUnambiguousNamesOnly() async throws {
        let byName = try await wippy("registry", "show", "greet")
        #expect(byName.stdout.hasPrefix("ID: app.tools:greet\nKind: function.lua\n"))
        let ambiguous = try await wippy("registry", "show", "settings")
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("ambiguous entry name 'settings'"))
        let missing = try await wippy("registry", "show", "app:nothing")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("entry not found: app:nothing"))
    }

    @Test func showOneField() async throws {
        let raw = try await wippy("registry", "show", "greet", "-f", "source", "--raw")
        #expect(raw.stdout == "return {run = function(name) return \"hello \" .. name end}\n\n")
        let level = try await wippy("registry", "show", "app:settings", "--field", "level")
        #expect(level.stdout == "3\n")
        let json = try await wippy("registry", "show", "app:settings", "--json")
        #expect(json.stdout.contains(#""data":{"#))
        let noField = try await wippy("registry", "show", "app:settings", "-f", "nope")
        #expect(noField.status == 1)
        #expect(noField.stderr.contains("no data field 'nope'"))
    }

    @Test func luaChangesCreateCallableFunctionsAndRejectBrokenCode() async throws {
        let run = try await wippy("run", "-x", "app:main")
        #expect(run.status == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "created v1 triple(14)=42")
        #expect(lines.contains("tools 2"))
        // the rejection names the entry and the line of the syntax error; the version did not move
        let rejected = lines.first { $0.hasPrefix("rejected nil: ") }
        #expect(rejected?.contains("app:broken") == true)
        #expect(rejected?.contains("line 3") == true)
        #expect(lines.last == "version v1")
    }
}
