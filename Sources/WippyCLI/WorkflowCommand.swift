import ArgumentParser
import WippyBoot
import WippyCodecs
import WippyCore
import WippyStore

/// `wippy workflow list|show`: the durable workflow runs recorded in the project's workflow stores, read
/// without starting anything and without disturbing a running runtime.
struct WorkflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Inspect and steer durable workflow runs: status, pinned code, journal; signal, cancel, terminate.",
        discussion: """
            Reads the workflow stores the runtime uses: the `store` of each workflow.host entry (a db.sql.sqlite \
            file), and <dir>/.wippy/workflows.db for hosts without one and for temporal.worker entries. A store is \
            opened read-only, so this is safe while `wippy run` is writing it; nothing is created when there is none.

              wippy workflow list                      every run, oldest first
              wippy workflow list --status running --status blocked
              wippy workflow show order-123            record, code version, journal with times
              wippy workflow show order-123 --json

            signal, cancel and terminate ask the `wippy run` running in the project directory (through \
            .wippy/control.sock) to act on a run in flight:

              wippy workflow signal order-123 approve '{"by": "ana"}'   a message on topic approve (journaled)
              wippy workflow cancel order-123                           a CANCEL event the workflow can handle
              wippy workflow terminate order-123                        ends the run now (status terminated)
              wippy workflow resume order-123                           retries the activity a paused run waits on

            replay runs a recorded journal against the project's current code (no effect: nothing runs, nothing \
            is written) and says whether it replays cleanly or where it diverges:

              wippy workflow replay order-123
            """,
        subcommands: [
            WorkflowListCommand.self, WorkflowShowCommand.self, WorkflowSignalCommand.self, WorkflowCancelCommand.self,
            WorkflowTerminateCommand.self, WorkflowResumeCommand.self, WorkflowReplayCommand.self,
        ]
    )
}

/// Where the stores are and how to print.
struct WorkflowStoreOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."

    @Option(name: [.customShort("l"), .customLong("lock-file")], help: "Lock file to read.")
    var lockFile = "wippy.lock"

    @Option(help: ArgumentHelp("Read this SQLite workflow store (relative to the project directory) instead of the project's.", valueName: "path"))
    var store: String?

    @Flag(help: "Print JSON.")
    var json = false

    /// The stores to read: --store, else the project's.
    func locations() -> [WorkflowStoreLocation] {
        if let store {
            let path = store.hasPrefix("/") ? store : (directory == "." ? store : directory + "/" + store)
            return [.embedded(path: path)]
        }
        var options = RuntimeOptions()
        options.projectRoot = directory
        options.lockFile = lockFile
        do {
            options.history = try RegistryHistoryMode.sqlite().existingHistory(projectRoot: directory)
            let snapshot = try RegistryReader.snapshot(options: options)
            return try WorkflowStoreFinder.locations(entries: snapshot.sortedEntries, projectRoot: directory)
        } catch {
            fail(error.message)
        }
    }

    /// The readers of the SQLite stores that exist, with their locations; a note on stderr for each store
    /// that cannot be read here (PostgreSQL). Exits 1 with the error when a store is damaged or of another
    /// kind.
    func readers() -> (readers: [(WorkflowStoreLocation, SQLiteWorkflowReader)], missing: [String]) {
        var readers: [(WorkflowStoreLocation, SQLiteWorkflowReader)] = []
        var missing: [String] = []
        for location in locations() {
            guard let path = location.sqlitePath else {
                Output.write("Note: \(location): reading a PostgreSQL workflow store is not supported yet\n", to: 2)
                continue
            }
            do {
                readers.append((location, try SQLiteWorkflowReader(path: path)))
            } catch where error.kind == .notFound {
                missing.append(path)
            } catch {
                fail(error.message)
            }
        }
        return (readers, missing)
    }

    func printJSON(_ value: Payload) {
        do {
            Output.write(try EntryFormatter.json(value), to: 1)
        } catch {
            fail(error.message)
        }
    }
}

/// `wippy workflow list`.
struct WorkflowListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List workflow runs, oldest first.",
        discussion: """
            Prints each run's workflow id, run id, workflow entry, status, the registry version its code is pinned \
            to, and the number of events in its journal. Statuses: \
            \(WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", ")).
            """
    )

    @Option(
        name: [.customShort("s"), .customLong("status")],
        help: ArgumentHelp("Only runs with this status (repeat for several).", valueName: "status"))
    var statuses: [String] = []

    @Option(help: "At most this many runs per store.")
    var limit: Int?

    @OptionGroup var options: WorkflowStoreOptions

    func validate() throws {
        for status in statuses where WorkflowStatus(rawValue: status) == nil {
            throw ValidationError(
                "unknown status '\(status)' (one of \(WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let filter = Set(statuses.compactMap(WorkflowStatus.init(rawValue:)))
        let (readers, missing) = options.readers()
        var all: [WorkflowRunSummary] = []
        var sections: [(WorkflowStoreLocation, [WorkflowRunSummary])] = []
        for (location, reader) in readers {
            do {
                let runs = try reader.summaries(statuses: filter, limit: limit ?? .max)
                all += runs
                sections.append((location, runs))
            } catch {
                fail(error.message)
            }
            reader.close()
        }
        if options.json {
            options.printJSON(.array(all.map(WorkflowFormatter.summary)))
            return
        }
        if readers.isEmpty {
            Output.write("No workflows recorded yet (no store at \(missing.joined(separator: ", ")))\n", to: 1)
            return
        }
        var text = ""
        for (location, runs) in sections {
            if sections.count > 1 { text += "Store: \(location)\n" }
            text += runs.isEmpty ? noRuns(filter) : WorkflowFormatter.table(runs)
            if sections.count > 1 { text += "\n" }
        }
        Output.write(text, to: 1)
    }

    private func noRuns(_ filter: Set<WorkflowStatus>) -> String {
        filter.isEmpty ? "No workflow runs\n" : "No workflow runs with status \(filter.map(\.rawValue).sorted().joined(separator: ", "))\n"
    }
}

/// `wippy workflow show ID`.
struct WorkflowShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a workflow's runs: record, pinned code version and journal.",
        discussion: """
            ID is a workflow id (every run of it is shown, oldest first) or workflow-id/run-id. For each run: its \
            entry, status, the registry version its code is pinned to, start and last-write times, input, result, \
            history length and size, then the journal: sequence number, time, kind, key and payload. Payloads are \
            printed as JSON-like text; bytes that are not a payload are printed in hex. A damaged journal (a missing \
            or altered event) is reported with the run and the sequence number, and the command exits with status 1.
            """
    )

    @Argument(help: ArgumentHelp("The workflow id, or workflow-id/run-id.", valueName: "id"))
    var id: String

    @OptionGroup var options: WorkflowStoreOptions

    func run() throws {
        let (readers, missing) = options.readers()
        var found: [(SQLiteWorkflowReader, WorkflowRunSummary)] = []
        for (_, reader) in readers {
            do {
                found += try matches(reader).map { (reader, $0) }
            } catch {
                fail(error.message)
            }
        }
        guard !found.isEmpty else {
            if readers.isEmpty { fail("no workflows recorded yet (no store at \(missing.joined(separator: ", ")))") }
            fail("no workflow '\(id)' in \(readers.map(\.0.description).joined(separator: ", "))")
        }
        var damage: WippyError?
        var text = ""
        var objects: [Payload] = []
        for (index, (reader, summary)) in found.enumerated() {
            var events: [JournalEvent]?
            do {
                events = try reader.load(summary.record.run)?.events
            } catch {
                damage = damage ?? error
            }
            if options.json {
                objects.append(WorkflowFormatter.json(summary, events: events))
                continue
            }
            if index > 0 { text += "\n" }
            text += WorkflowFormatter.details(summary)
            if let events {
                text += WorkflowFormatter.journal(events)
            } else if damage != nil {
                text += "Journal: damaged (see the error below)\n"
            }
        }
        for (_, reader) in readers { reader.close() }
        if options.json {
            options.printJSON(found.count == 1 ? objects[0] : .array(objects))
        } else {
            Output.write(text, to: 1)
        }
        if let damage { fail(damage.message) }
    }

    /// The runs `id` names in one store.
    private func matches(_ reader: SQLiteWorkflowReader) throws(WippyError) -> [WorkflowRunSummary] {
        let runs = try reader.summaries(workflowID: id)
        if !runs.isEmpty { return runs }
        guard let slash = id.lastIndex(of: "/") else { return [] }
        let workflow = String(id[..<slash])
        let run = String(id[id.index(after: slash)...])
        return try reader.summaries(workflowID: workflow).filter { $0.record.run.runID == run }
    }
}

/// Sends a request to the running runtime's control socket and prints its answer; exits 1 on an error.
private func steer(_ request: Payload, directory: String, json: Bool) {
    let reply: Payload
    do throws(WippyError) {
        let bytes = try ControlClient.request(
            ControlClient.socketPath(projectRoot: directory), body: try JSONCodec.encode(request))
        reply = try JSONCodec.decode(bytes)
    } catch {
        fail(error.message)
    }
    if let error = reply["error"]?.stringValue { fail(error) }
    if json {
        Output.write(((try? JSONCodec.encodeString(reply)) ?? "{}") + "\n", to: 1)
    } else {
        Output.write("ok: \(request["op"]?.stringValue ?? "") \(reply["pid"]?.stringValue ?? "")\n", to: 1)
    }
}

/// `wippy workflow signal ID TOPIC [JSON]`.
struct WorkflowSignalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Send a message (a durable signal) to a running workflow.",
        discussion: """
            The workflow reads it with process.inbox() or process.listen(TOPIC); it is journaled before the \
            workflow sees it. JSON is the message's payload (a string when it is not valid JSON).
            """)

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."
    @Flag(help: "Print the answer as JSON.")
    var json = false
    @Argument(help: "The workflow id.") var id: String
    @Argument(help: "The message topic.") var topic: String
    @Argument(help: "The payload, as JSON.") var payload: String?

    func run() throws {
        var fields: [(String, Payload)] = [("op", "workflow.signal"), ("id", .string(id)), ("topic", .string(topic))]
        if let payload { fields.append(("payload", (try? JSONCodec.decode(payload)) ?? .string(payload))) }
        steer(.map(fields), directory: directory, json: json)
    }
}

/// `wippy workflow cancel ID [REASON]`.
struct WorkflowCancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Ask a running workflow to cancel (a CANCEL event on process.events()).")

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."
    @Flag(help: "Print the answer as JSON.")
    var json = false
    @Argument(help: "The workflow id.") var id: String
    @Argument(help: "Why (given to the workflow).") var reason: String?

    func run() throws {
        steer(
            .map([("op", "workflow.cancel"), ("id", .string(id)), ("reason", .string(reason ?? "cancelled by an operator"))]),
            directory: directory, json: json)
    }
}

/// `wippy workflow terminate ID`.
struct WorkflowTerminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate", abstract: "End a running workflow now; its status becomes terminated.")

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."
    @Flag(help: "Print the answer as JSON.")
    var json = false
    @Argument(help: "The workflow id.") var id: String

    func run() throws {
        steer(.map([("op", "workflow.terminate"), ("id", .string(id))]), directory: directory, json: json)
    }
}

/// `wippy workflow resume ID`.
struct WorkflowResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused workflow: the activity whose retries ran out (retry_policy.on_exhausted: pause) is tried again.")

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."
    @Flag(help: "Print the answer as JSON.")
    var json = false
    @Argument(help: "The workflow id.") var id: String

    func run() throws {
        steer(.map([("op", "workflow.resume"), ("id", .string(id))]), directory: directory, json: json)
    }
}
