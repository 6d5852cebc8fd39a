import ArgumentParser
import WippyBoot
import WippyCore

/// `wippy registry show`: one entry in full, or one of its data fields.
struct RegistryShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one entry: its ID, kind, metadata and data.",
        discussion: "The entry is a full ID (app:main) or a name only one entry has (main)."
    )

    @Argument(help: "Entry ID, or an unambiguous entry name.")
    var entry: String

    @Option(name: [.customShort("f"), .customLong("field")], help: "Show only this data field.")
    var field: String?

    @Flag(help: "Print unformatted: strings as they are, other values as JSON.")
    var raw = false

    @OptionGroup var output: RegistryOutputOptions

    func run() throws {
        let found: Entry
        do {
            found = try RegistryReader.entry(entry, in: output.snapshot())
        } catch {
            fail(error.message)
        }
        var value = found.payload
        if let field {
            guard let fieldValue = found.data[field] else { fail("entry \(found.id) has no data field '\(field)'") }
            value = fieldValue
        } else if raw {
            value = found.data
        }
        do {
            if output.json || output.yaml {
                output.printStructured(value)
            } else if raw {
                Output.write(try EntryFormatter.raw(value), to: 1)
            } else if field != nil {
                Output.write(try EntryFormatter.yaml(value), to: 1)
            } else {
                Output.write(try EntryFormatter.details(found), to: 1)
            }
        } catch {
            fail(error.message)
        }
    }
}
