/// An effect a workflow asks for: the command seam (durable-cluster-ai §4.1). Every one is journaled before
/// it acts; on replay the journaled command is matched by ``journalKind`` and ``key`` and its recorded
/// payload is used instead of acting again.
public enum WorkflowCommand: Sendable, Equatable {
    /// `funcs.call`/`funcs.async`: run `function` as an activity with `arguments` (an array payload) and
    /// `options` (the executor's options: timeouts, retry policy).
    case call(function: String, arguments: Payload, options: Payload)
    /// `time.sleep`/`after`/`timer`/`ticker`: a durable timer that fires at `fireAt` (Unix nanoseconds of
    /// the workflow clock plus the duration).
    case timer(duration: Int64, fireAt: Int64)
    /// Stops the timer journaled at `seq`.
    case cancelTimer(seq: UInt64)
    /// `future:cancel()`: stops the activity journaled at `seq` (`funcs.async`); its answer is a canceled error.
    case cancelCall(seq: UInt64)
    /// `process.send` from the workflow: sent once, after the command is durable.
    case send(destination: String, topic: String, payloads: Payload)
    /// `workflow.version(change, min, max)`: live runs record `version`; replay returns the recorded one.
    case version(change: String, version: Int64)
    /// `workflow.attrs{...}`.
    case attributes(Payload)
    /// A child workflow (`process.spawn`/`process.exec`/`workflow.exec` inside a workflow).
    case spawn(entry: String, host: String, workflowID: String, arguments: Payload, wait: Bool)

    /// The journal kinds of commands: replay matches these against the code; the other kinds are events
    /// delivered to it.
    public static let journalKinds: Set<String> = ["call", "timer", "cancel_timer", "cancel_call", "send", "version", "attrs", "spawn"]

    public var journalKind: String {
        switch self {
        case .call: "call"
        case .timer: "timer"
        case .cancelTimer: "cancel_timer"
        case .cancelCall: "cancel_call"
        case .send: "send"
        case .version: "version"
        case .attributes: "attrs"
        case .spawn: "spawn"
        }
    }

    /// What replay compares besides the kind: the function, the change id, the destination, the child entry.
    /// A timer's duration is not compared (code may tune a delay), as in Temporal.
    public var key: String {
        switch self {
        case .call(let function, _, _): function
        case .timer: ""
        case .cancelTimer(let seq), .cancelCall(let seq): String(seq)
        case .send(let destination, let topic, _): destination + " " + topic
        case .version(let change, _): change
        case .attributes: ""
        case .spawn(let entry, _, _, _, _): entry
        }
    }

    /// The payload journaled with the command.
    public var payload: Payload {
        switch self {
        case .call(_, let arguments, let options): .map([("args", arguments), ("options", options)])
        case .timer(let duration, let fireAt): .map([("duration", .int(duration)), ("fire_at", .int(fireAt))])
        case .cancelTimer, .cancelCall: .null
        case .send(_, let topic, let payloads): .map([("topic", .string(topic)), ("payloads", payloads)])
        case .version(_, let version): .int(version)
        case .attributes(let attributes): attributes
        case .spawn(_, let host, let workflowID, let arguments, let wait):
            .map([("host", .string(host)), ("id", .string(workflowID)), ("args", arguments), ("wait", .bool(wait))])
        }
    }

    /// How errors and tools name the command: `call app:charge`, `timer`, `version v2`.
    public var summary: String { key.isEmpty ? journalKind : "\(journalKind) \(key)" }
}
