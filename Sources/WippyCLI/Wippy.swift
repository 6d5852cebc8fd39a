import ArgumentParser

/// The `wippy` command line.
@main
struct Wippy: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wippy",
        abstract: "Run Wippy applications: Lua processes, messages and supervision in one binary.",
        discussion: """
            A project is a directory with a wippy.lock file and definition files (src/**/_index.yaml) \
            that describe registry entries: Lua functions, processes, hosts and services.

            Start with `wippy init` in an empty directory, then `wippy run hello`.
            """,
        version: Wippy.version,
        subcommands: [
            RunCommand.self, InitCommand.self, StatusCommand.self, RegistryCommand.self, WorkflowCommand.self, VersionCommand.self,
        ]
    )
}
