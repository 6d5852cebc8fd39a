import ArgumentParser
import WippyBoot
import WippyCore

/// `wippy registry list|show|reset`: read the project's registry without starting anything, or discard
/// recorded runtime changes.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Inspect the registry: the project's entries with recorded history applied.",
        discussion: """
            Loads the definition files (and replays saved registry history), without starting hosts or services.

              wippy registry list --kind process.lua
              wippy registry list --ns app --meta type=worker --meta 'tags*public'
              wippy registry show app:main --field source --raw
              wippy registry reset app:main    discard app:main's recorded runtime changes
            """,
        subcommands: [RegistryListCommand.self, RegistryShowCommand.self, RegistryResetCommand.self]
    )
}

/// Options both subcommands share: where the project is and how to print.
struct RegistryOutputOptions: ParsableArguments {
    @Option(name: [.customShort("l"), .customLong("lock-file")], help: "Lock file to read.")
    var lockFile = "wippy.lock"

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."

    @Option(
        help: ArgumentHelp(
            "Registry history to replay: sqlite (<dir>/.wippy/registry.db, when it exists), sqlite:PATH, or memory (none).",
            valueName: "sqlite|sqlite:PATH|memory"))
    var history = "sqlite"

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print YAML.")
    var yaml = false

    func validate() throws {
        if json && yaml { throw ValidationError("--json and --yaml cannot be used together") }
        _ = try GlobalOptions.historyMode(history)
    }

    /// The registry as it would be at boot, or exit 1 with the loading error.
    func snapshot() -> RegistrySnapshot {
        var options = RuntimeOptions()
        options.projectRoot = directory
        options.lockFile = lockFile
        do {
            // Reading never creates a history: a project without one shows its files as they are.
            options.history = try RegistryHistoryMode(argument: history)?.existingHistory(projectRoot: directory)
            return try RegistryReader.snapshot(options: options)
        } catch {
            fail(error.message)
        }
    }

    /// Prints `value` as JSON or YAML, whichever was asked for.
    func printStructured(_ value: Payload) {
        do {
            Output.write(json ? try EntryFormatter.json(value) : try EntryFormatter.yaml(value), to: 1)
        } catch {
            fail(error.message)
        }
    }
}
