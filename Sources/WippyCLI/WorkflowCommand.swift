import ArgumentParser
import Foundation
import WippyBoot
import WippyCodecs
import WippyCore
import WippyRuntime
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
        return Self.locations(directory: directory, lockFile: lockFile)
    }

    /// The workflow stores of the project in `directory`, as its runtime would pick them; exits 1 with the
    /// error when its entries cannot be read.
    static func locations(directory: String, lockFile: String = "wippy.lock") -> [WorkflowStoreLocation] {
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

    /// The readers of the stores that exist (SQLite files, PostgreSQL databases), with their locations.
    /// Exits 1 with the error when a store is damaged, of another kind, or its server cannot be reached.
    func readers() -> (readers: [(WorkflowStoreLocation, any WorkflowReader)], missing: [String]) {
        var readers: [(WorkflowStoreLocation, any WorkflowReader)] = []
        var missing: [String] = []
        for location in locations() {
            do {
                switch location {
                case .embedded(let path), .sqlite(let path, _):
                    readers.append((location, try SQLiteWorkflowReader(path: path)))
                case .postgres(let config, _):
                    readers.append((location, try PostgresWorkflowReader(settings: config.connectionSettings)))
                }
            } catch where error.kind == .notFound && location.sqlitePath != nil {
                missing.append(location.sqlitePath ?? "")
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
        var found: [(any WorkflowReader, WorkflowRunSummary)] = []
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
                text += WorkflowFormatter.attributes(events)
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
    private func matches(_ reader: any WorkflowReader) throws(WippyError) -> [WorkflowRunSummary] {
        let runs = try reader.summaries(workflowID: id)
        if !runs.isEmpty { return runs }
        guard let slash = id.lastIndex(of: "/") else { return [] }
        let workflow = String(id[..<slash])
        let run = String(id[id.index(after: slash)...])
        return try reader.summaries(workflowID: workflow).filter { $0.record.run.runID == run }
    }
}

/// Sends a request to the running runtime's control socket and prints its answer; exits 1 on an error.
/// When no runtime runs in the project and the request can wait (`later`), it is kept in the workflow's
/// store instead: the run takes it when a runtime resumes it.
private func steer(_ request: Payload, directory: String, json: Bool, later: WorkflowSignalEnvelope? = nil) {
    let reply: Payload
    do throws(WippyError) {
        let bytes = try ControlClient.request(
            ControlClient.socketPath(projectRoot: directory), body: try JSONCodec.encode(request))
        reply = try JSONCodec.decode(bytes)
    } catch {
        guard error.kind == .notFound, let later, let id = request["id"]?.stringValue else { fail(error.message) }
        return keep(later, for: id, directory: directory, json: json)
    }
    if let error = reply["error"]?.stringValue { fail(error) }
    if json {
        Output.write(((try? JSONCodec.encodeString(reply)) ?? "{}") + "\n", to: 1)
    } else {
        Output.write("ok: \(request["op"]?.stringValue ?? "") \(reply["pid"]?.stringValue ?? "")\n", to: 1)
    }
}

/// Records `envelope` for workflow `id` in the first of the project's stores that has a run of it not
/// ended; exits 1 when none has.
private func keep(_ envelope: WorkflowSignalEnvelope, for id: String, directory: String, json: Bool) {
    let row = envelope.row
    var reasons: [String] = []
    for location in WorkflowStoreOptions.locations(directory: directory) {
        let store: any WorkflowSignalStore
        do throws(WippyError) {
            switch location {
            case .embedded(let path), .sqlite(let path, _):
                guard FileManager.default.fileExists(atPath: path) else { continue }
                store = try SQLiteWorkflowStore(path: path)
            case .postgres(let config, _):
                store = try PostgresWorkflowStore(settings: config.connectionSettings)
            }
        } catch {
            fail(error.message)
        }
        let outcome = waitForCompletion { store.signal(workflowID: id, topic: row.topic, sender: row.sender, payload: row.payload, completion: $0) }
        store.close()
        switch outcome {
        case .success(let signalID):
            if json {
                Output.write(#"{"ok":true,"id":"\#(id)","kept":\#(signalID)}"# + "\n", to: 1)
            } else {
                Output.write("kept: no runtime is running here; workflow \(id) gets it when it resumes (\(location))\n", to: 1)
            }
            return
        case .failure(let error) where error.kind == .notFound || error.kind == .conflict:
            reasons.append(error.message)
        case .failure(let error):
            fail(error.message)
        }
    }
    fail("no running wippy here, and no run of workflow \(id) to keep the request for" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
}

/// `wippy workflow signal ID TOPIC [JSON]`.
struct WorkflowSignalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signal",
        abstract: "Send a message (a durable signal) to a running workflow.",
        discussion: """
            The workflow reads it with process.inbox() or process.listen(TOPIC); it is journaled before the \
            workflow sees it. JSON is the message's payload (a string when it is not valid JSON). When no runtime \
            runs in the project, the signal is kept in the workflow's store and delivered when the run resumes.
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
        let value = payload.map { (try? JSONCodec.decode($0)) ?? .string($0) }
        if let value { fields.append(("payload", value)) }
        let message = Message(from: nil, topic: topic, payloads: value.map { [$0] } ?? [])
        steer(.map(fields), directory: directory, json: json, later: .message(message))
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
        let reason = reason ?? "cancelled by an operator"
        steer(
            .map([("op", "workflow.cancel"), ("id", .string(id)), ("reason", .string(reason))]), directory: directory, json: json,
            later: .cancel(from: nil, reason: reason))
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
