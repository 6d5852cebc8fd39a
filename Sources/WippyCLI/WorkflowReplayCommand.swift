import ArgumentParser
import Logging
import WippyBoot
import WippyCodecs
import WippyCore
import WippyRuntime
import WippyStore

/// `wippy workflow replay ID`: replays a run's recorded journal against the project's current code of its
/// entry, with no effect, and says whether it replays cleanly or where it diverges.
struct WorkflowReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a run's journal against the current code and print where it diverges.",
        discussion: """
            ID is a workflow id (its latest run) or workflow-id/run-id. The journal is read from the project's \
            workflow store; the code is the entry's as the project's source files define it now (not the code \
            the run is pinned to). Nothing acts during the replay: no activity runs, no timer is armed, no \
            message is sent, nothing is written; every answer comes from the journal.

            Prints "replays cleanly (N events)" and exits 0, or prints where the code diverges (journal sequence \
            number, the journaled command, the command the code issued instead, the entry and the line) and \
            exits 2. Exits 1 when the run is not found, its journal is damaged or its code cannot run.
            """)

    @Argument(help: ArgumentHelp("The workflow id, or workflow-id/run-id.", valueName: "id"))
    var id: String

    @Option(help: "Give up after this many seconds.")
    var timeout: Int = 30

    @OptionGroup var options: WorkflowStoreOptions

    func run() throws {
        let run = loadRun()
        var runtimeOptions = RuntimeOptions()
        runtimeOptions.projectRoot = options.directory
        runtimeOptions.lockFile = options.lockFile
        // The code as the source files define it: no recorded history is read or written.
        runtimeOptions.historyMode = .memory
        var logger = Logger(label: "wippy.replay") { _ in StreamLogHandler.standardError(label: "wippy.replay") }
        logger.logLevel = .warning
        let app: Application
        do {
            app = try Application(options: runtimeOptions, modules: ModuleCatalog.modules(arguments: []), logger: logger)
        } catch {
            fail(error.message)
        }
        let outcome = app.replayCheck(run, timeout: .seconds(max(timeout, 1)))
        app.shutdown()
        let entry = run.record.entry
        let name = "\(run.record.run.workflowID)/\(run.record.run.runID)"
        switch outcome {
        case .clean(let events):
            if options.json {
                options.printJSON(.map([("workflow", .string(name)), ("entry", .string(entry.description)), ("clean", true), ("events", .int(Int64(events)))]))
            } else {
                Output.write("\(name) (\(entry)) replays cleanly (\(events) events)\n", to: 1)
            }
        case .diverged(let divergence, let location):
            if options.json {
                var fields: [(String, Payload)] = [
                    ("workflow", .string(name)), ("entry", .string(entry.description)), ("clean", false),
                    ("seq", .int(Int64(divergence.seq))), ("expected", .string(divergence.expected)), ("actual", .string(divergence.actual)),
                ]
                if let location { fields.append(("line", .string(location))) }
                options.printJSON(.map(fields))
            } else {
                var text = "\(name) (\(entry)) diverges at journal seq \(divergence.seq)\n"
                text += "  expected: \(divergence.expected)\n"
                text += "  actual:   \(divergence.actual)\n"
                text += "  entry:    \(entry)\n"
                if let location { text += "  line:     \(location)\n" }
                Output.write(text, to: 1)
            }
            throw ExitCode(2)
        case .failed(let message):
            fail("\(name) (\(entry)): \(message)")
        }
    }

    /// The run `id` names (a workflow id's latest run), with its journal; exits 1 when there is none.
    private func loadRun() -> WorkflowRun {
        let (readers, missing) = options.readers()
        defer { for (_, reader) in readers { reader.close() } }
        if readers.isEmpty { fail("no workflows recorded yet (no store at \(missing.joined(separator: ", ")))") }
        var workflow = id
        var runID: String?
        for (_, reader) in readers {
            do {
                var runs = try reader.summaries(workflowID: workflow)
                if runs.isEmpty, let slash = id.lastIndex(of: "/") {
                    workflow = String(id[..<slash])
                    runID = String(id[id.index(after: slash)...])
                    runs = try reader.summaries(workflowID: workflow).filter { $0.record.run.runID == runID }
                }
                guard let latest = runs.last else { continue }
                guard let run = try reader.load(latest.record.run) else { continue }
                return run
            } catch {
                fail(error.message)
            }
        }
        fail("no workflow '\(id)' in \(readers.map(\.0.description).joined(separator: ", "))")
    }
}
