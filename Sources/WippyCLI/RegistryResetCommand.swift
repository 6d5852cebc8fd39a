import ArgumentParser
import WippyBoot
import WippyCore

/// `wippy registry reset [ID...]`: discard recorded runtime changes.
struct RegistryResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Discard recorded runtime changes, so that the definition files count again.",
        discussion: """
            Entries changed at runtime (registry changesets, recorded in .wippy/registry.db) keep their \
            runtime version at boot and on reload, even when their definition file is edited later; boot and \
            reload say so in one log line per entry. This command discards those recorded changes:

              wippy registry reset app:greet       only app:greet's changes (taken out of every version)
              wippy registry reset                 every recorded change: the history starts over at v0

            A history too damaged to open is moved aside (registry.db.damaged-<time>) by a reset of \
            everything, and the next run starts a new one. The command refuses while a wippy runtime runs in \
            the project: stop it first.
            """
    )

    @Argument(help: "Entries (namespace:name) whose runtime changes to discard; none: all of them.")
    var entries: [String] = []

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."

    @Option(
        help: ArgumentHelp(
            "Registry history to reset: sqlite (<dir>/.wippy/registry.db) or sqlite:PATH.",
            valueName: "sqlite|sqlite:PATH"))
    var history = "sqlite"

    func validate() throws {
        _ = try GlobalOptions.historyMode(history)
        for entry in entries where !entry.contains(":") || entry.hasPrefix(":") || entry.hasSuffix(":") {
            throw ValidationError("an entry is a full ID such as app:greet (got \"\(entry)\")")
        }
    }

    func run() throws {
        let command = (["wippy"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        do {
            let lines = try RegistryReset.run(
                projectRoot: directory, historyMode: try GlobalOptions.historyMode(history),
                entries: entries.map { EntryID(parsing: $0) }, command: command)
            for line in lines { Output.write(line + "\n", to: 1) }
        } catch let error as WippyError {
            fail(error.message)
        }
    }
}
