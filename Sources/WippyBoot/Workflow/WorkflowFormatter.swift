public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Text and JSON forms of workflow runs for `wippy workflow list` and `show`.
public enum WorkflowFormatter {
    /// One row per run: workflow id, run id, entry, status, pinned registry version, journal length; then
    /// `Total: N runs`.
    public static func table(_ runs: [WorkflowRunSummary]) -> String {
        let header = ["WORKFLOW", "RUN", "ENTRY", "STATUS", "VERSION", "EVENTS"]
        let rows = runs.map { run in
            [
                run.record.run.workflowID, run.record.run.runID, run.record.entry.description, run.record.status.rawValue,
                String(run.record.registryVersion), String(run.historyLength),
            ]
        }
        var text = columns([header] + rows)
        text += "Total: \(runs.count) \(runs.count == 1 ? "run" : "runs")\n"
        return text
    }

    /// The `list --json` item (with `continued_from`/`continued_as` for the runs of a continue-as-new chain).
    public static func summary(_ run: WorkflowRunSummary) -> Payload {
        let record = run.record
        var chain: [(String, Payload)] = []
        if let previous = continuedFrom(record) { chain.append(("continued_from", .string(previous))) }
        if let next = continuedAs(record) { chain.append(("continued_as", .string(next))) }
        return .map([
            ("workflow_id", .string(record.run.workflowID)), ("run_id", .string(record.run.runID)),
            ("entry", .string(record.entry.description)), ("entry_kind", .string(record.entryKind)),
            ("status", .string(record.status.rawValue)), ("registry_version", .int(Int64(bitPattern: record.registryVersion))),
            ("history_length", .int(Int64(clamping: run.historyLength))), ("history_size", .int(Int64(clamping: run.historySize))),
            ("created_at", .string(time(run.createdAt))), ("updated_at", .string(time(run.updatedAt))),
        ] + chain)
    }

    /// The record of a run: ids, entry, status, the registry version its code is pinned to, times, input,
    /// result and history size.
    public static func details(_ run: WorkflowRunSummary) -> String {
        let record = run.record
        var text = """
            Workflow: \(record.run.workflowID)
            Run: \(record.run.runID)
            Entry: \(record.entry) (\(record.entryKind))
            Status: \(record.status)
            Code: registry version \(record.registryVersion) (pinned when the run started)
            Started: \(time(run.createdAt))
            Updated: \(time(run.updatedAt))
            Input: \(record.input.isEmpty ? "(none)" : PayloadText.render(archive: record.input))

            """
        if let result = record.result { text += "Result: \(PayloadText.render(archive: result))\n" }
        if let previous = continuedFrom(record) { text += "Continues: run \(previous) (process.upgrade)\n" }
        if let next = continuedAs(record) { text += "Continued as: run \(next)\n" }
        text += "History: \(run.historyLength) \(run.historyLength == 1 ? "event" : "events"), \(run.historySize) bytes\n"
        return text
    }

    /// The run that continues `record`'s (continue-as-new), named by its result.
    public static func continuedAs(_ record: WorkflowRecord) -> String? {
        guard record.status == .continued, let result = record.result else { return nil }
        return (try? PayloadArchive.decode(result))?["continued_as"]?.stringValue
    }

    /// The run `record`'s continues, named in its input.
    public static func continuedFrom(_ record: WorkflowRecord) -> String? {
        (try? PayloadArchive.decode(record.input))?["continued_from"]?.stringValue
    }

    /// What the run recorded with `workflow.attrs` and `workflow.expose` (the latest value of each key),
    /// one line per key under its section; nothing when it recorded none.
    public static func attributes(_ events: [JournalEvent]) -> String {
        let attributes = WorkflowAttributes(journal: events)
        guard !attributes.isEmpty else { return "" }
        let titles = ["search": "Search attributes", "memo": "Memo", "query": "Query state (workflow.expose)"]
        var text = ""
        for section in WorkflowAttributes.sections {
            guard let fields = attributes.values[section], !fields.isEmpty else { continue }
            text += "\(titles[section] ?? section):\n"
            for field in fields { text += "  \(field.key): \(PayloadText.render(field.value))\n" }
        }
        return text
    }

    /// The journal as rows: seq, time, kind, key, payload.
    public static func journal(_ events: [JournalEvent]) -> String {
        guard !events.isEmpty else { return "Journal: empty\n" }
        let rows = events.map { event in
            [String(event.seq), event.time.map(time) ?? "-", event.kind, event.key, PayloadText.render(archive: event.payload)]
        }
        return "Journal:\n" + columns([["SEQ", "TIME", "KIND", "KEY", "PAYLOAD"]] + rows, indent: "  ")
    }

    /// The `show --json` object of one run: the summary's fields, input, result and the journal (nil when it
    /// was not loaded).
    public static func json(_ run: WorkflowRunSummary, events: [JournalEvent]?) -> Payload {
        guard case .table(var table) = summary(run) else { return .null }
        table["input"] = PayloadText.jsonValue(archive: run.record.input)
        table["result"] = run.record.result.map { PayloadText.jsonValue(archive: $0) } ?? .null
        if let events {
            let attributes = WorkflowAttributes(journal: events)
            if !attributes.isEmpty, let archive = try? PayloadArchive.encode(attributes.payload) {
                table["attributes"] = PayloadText.jsonValue(archive: archive)
            }
            table["events"] = .array(
                events.map { event in
                    .map([
                        ("seq", .int(Int64(clamping: event.seq))), ("time", event.time.map { .string(time($0)) } ?? .null),
                        ("kind", .string(event.kind)), ("key", .string(event.key)),
                        ("payload", PayloadText.jsonValue(archive: event.payload)),
                    ])
                })
        }
        return .table(table)
    }

    /// Unix milliseconds as UTC ISO 8601 with milliseconds (`2026-05-01T09:30:00.250Z`).
    public static func time(_ milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return String(milliseconds) }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : String(millis)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }

    /// Rows as left-aligned columns two spaces apart (the last column not padded).
    private static func columns(_ rows: [[String]], indent: String = "") -> String {
        guard let count = rows.first?.count else { return "" }
        var widths = Array(repeating: 0, count: count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in rows {
            var line = indent
            for (index, cell) in row.enumerated() {
                if index == count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[index] - cell.count + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}
