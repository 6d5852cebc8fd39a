import ArgumentParser
import WippyBoot
import WippyCore

/// `wippy status`: the supervision tree of the application running in the project directory.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the hosts and services of the running application.",
        discussion: """
            Asks the `wippy run` running in the project directory (through .wippy/control.sock) for the \
            state of every supervised host and service: status, retry count, process when running, what \
            each service needs, and the last error.
            """
    )

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."

    @Flag(help: "Print the states as JSON.")
    var json = false

    func run() throws {
        let report: StatusReport
        do throws(WippyError) {
            report = try StatusReport.fetch(projectRoot: directory)
        } catch {
            fail(error.message)
        }
        Output.write((json ? report.json : report.rendered()) + "\n", to: 1)
    }
}
