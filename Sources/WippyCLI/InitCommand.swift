import ArgumentParser
import WippyBoot

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create wippy.lock and a starter application.",
        discussion: """
            Writes the lock file's directories (keeping modules already listed) and, when the source \
            directory has no definition files, a starter app with a terminal host and a `hello` command.
            """
    )

    @Option(name: [.customShort("d"), .customLong("src-dir")], help: "Source directory.")
    var sourceDirectory = "./src"

    @Option(name: .customLong("modules-dir"), help: "Modules directory.")
    var modulesDirectory = ".wippy"

    @Option(name: [.customShort("l"), .customLong("lock-file")], help: "Lock file name.")
    var lockFile = "wippy.lock"

    func run() throws {
        do {
            let written = try ProjectInitializer.initialize(
                projectRoot: ".", sourceDirectory: sourceDirectory, modulesDirectory: modulesDirectory,
                lockFile: lockFile)
            for file in written { print("wrote \(file)") }
            print("Run it with: wippy run hello")
        } catch {
            throw ValidationError(error.description)
        }
    }
}
