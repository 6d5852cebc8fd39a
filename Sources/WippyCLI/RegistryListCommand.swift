import ArgumentParser
import WippyBoot
import WippyCore

/// `wippy registry list`: entries matching Finder filters, sorted by ID.
struct RegistryListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List entries, optionally filtered.",
        discussion: """
            --kind, --ns and --name match exactly or with one `*` (prefix*, *suffix, pre*suf). --meta takes \
            field=value (equal), field~regex, field*text (contains; also list items), field^prefix or \
            field$suffix, and may be repeated; every filter must hold.
            """
    )

    @Option(name: [.customShort("k"), .customLong("kind")], help: "Entry kind (glob with one *).")
    var kind: String?

    @Option(name: [.customShort("n"), .customLong("ns")], help: "Namespace (glob with one *).")
    var namespace: String?

    @Option(help: "Entry name (glob with one *).")
    var name: String?

    @Option(help: "Metadata condition: field=value, field~regex, field*text, field^prefix or field$suffix.")
    var meta: [String] = []

    @OptionGroup var output: RegistryOutputOptions

    func run() throws {
        let filter: EntryFilter
        do {
            filter = try EntryFilter(try pairs())
        } catch {
            fail(error.message)
        }
        let entries = filter.select(from: output.snapshot())
        if output.json || output.yaml {
            output.printStructured(.array(entries.map(EntryFormatter.summary)))
        } else {
            Output.write(EntryFormatter.table(entries), to: 1)
        }
    }

    /// The options as Finder query pairs.
    func pairs() throws(WippyError) -> [(key: String, value: Payload)] {
        var pairs: [(key: String, value: Payload)] = []
        if let kind { pairs.append((".kind", .string(kind))) }
        if let namespace { pairs.append((".ns", .string(namespace))) }
        if let name { pairs.append((".name", .string(name))) }
        for condition in meta { pairs.append(Self.metaPair(condition)) }
        return pairs
    }

    /// `field<op>value` → the Finder key and value (`=` is equality, the others become key prefixes).
    static func metaPair(_ condition: String) -> (key: String, value: Payload) {
        guard let split = condition.firstIndex(where: { "=~*^$".contains($0) }), split != condition.startIndex else {
            fail("--meta '\(condition)': expected field=value, field~regex, field*text, field^prefix or field$suffix")
        }
        let field = String(condition[..<split])
        let value = String(condition[condition.index(after: split)...])
        let operation = condition[split]
        return (key: (operation == "=" ? "" : String(operation)) + "meta." + field, value: .string(value))
    }
}
