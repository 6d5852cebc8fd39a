import ArgumentParser

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    @Flag(help: "Only the version number.")
    var short = false

    func run() {
        print(short ? Wippy.version : "wippy \(Wippy.version) (Swift runtime, Lua 5.4)")
    }
}
