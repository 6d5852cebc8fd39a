import Foundation
import Synchronization
public import WippyCore

/// Continue-as-new on the engine's side: the successor run's record (pinned to its entry's current code), and,
/// once the write that ends the old run and creates it is durable, the starter that puts the successor in the
/// old run's process (same PID). See `WorkflowSession+Continue`.
extension WorkflowEngine {
    public func sessionSuccessor(
        _ session: WorkflowSession, entry: EntryID, arguments: [Payload], context: ExecutionContext, inherited: [JournalEvent]
    ) throws(WippyError) -> WorkflowSuccessor {
        guard let program = runtime.program(entry) else {
            throw WippyError("workflow not found: \(entry)", kind: .notFound, retryable: false)
        }
        guard program.kind == .workflow || program.kind == .process else {
            throw .invalid("\(entry) is a \(program.kind.rawValue) entry, not a workflow")
        }
        let run = WorkflowRunID(workflowID: session.run.workflowID, runID: UUID().uuidString.lowercased())
        let record = newRecord(
            run, entry: entry, program: program, arguments: arguments, context: context,
            extra: [("continued_from", .string(session.run.runID))])
        var events = [WorkflowSession.startEvent(time: WorkflowSession.wallClock, seed: UInt64.random(in: 0...UInt64.max))]
        for event in inherited {
            events.append(JournalEvent(seq: UInt64(events.count + 1), kind: event.kind, key: event.key, payload: event.payload))
        }
        return WorkflowSuccessor(record: record, events: events)
    }

    public func sessionContinued(_ session: WorkflowSession, as successor: WorkflowSuccessor, from process: LuaProcess) -> any ProcessStarter {
        let id = session.run.workflowID
        let next = successor.record.run
        // The node holds the new run from its first commit (generation 1), as a start does.
        let fence = session.fence.map { WorkflowFence(owner: $0.owner, generation: 1) }
        residents.withLock { residents in
            if residents[id] == nil || residents[id]?.run == session.run { residents[id] = Resident(run: next, fence: fence) }
        }
        publish("workflow.continued", session.run, [("status", .string(WorkflowStatus.continued.rawValue)), ("successor", .string(next.runID))])
        publish("workflow.started", next, [("entry", .string(successor.record.entry.description)), ("continued_from", .string(session.run.runID))])
        let input = (try? PayloadArchive.decode(successor.record.input)) ?? .null
        var context = ExecutionContext.empty
        for field in input["context"]?.tableValue?.fields ?? [] {
            if let key = field.key.stringValue { context.values[key] = field.value }
        }
        let nextSession = WorkflowSession(record: successor.record, journal: successor.events, store: store, observer: self)
        nextSession.fence = fence
        // Signal rows recorded for the workflow while it continued are the successor's.
        nextSession.fetchSignalsAtStart = true
        return WorkflowSuccessorStarter(
            previous: process, session: nextSession, arguments: input["args"]?.tableValue?.array ?? [], context: context,
            program: { [self] () throws(WippyError) -> LuaProgram in try pinnedProgram(successor.record) })
    }
}

/// Replaces the process of a run that continued as new with its successor: a fresh Lua process (same cell,
/// PID, mailbox and monitors) carrying the successor's session.
final class WorkflowSuccessorStarter: ProcessStarter, @unchecked Sendable {
    /// The replaced process: its completions still in flight must not reach the new one, so the new one's
    /// request tokens continue after its.
    let previous: LuaProcess
    let session: WorkflowSession
    let arguments: [Payload]
    let context: ExecutionContext
    let program: () throws(WippyError) -> LuaProgram

    init(
        previous: LuaProcess, session: WorkflowSession, arguments: [Payload], context: ExecutionContext,
        program: @escaping () throws(WippyError) -> LuaProgram
    ) {
        self.previous = previous
        self.session = session
        self.arguments = arguments
        self.context = context
        self.program = program
    }

    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        let inner = LuaProcessStarter(
            program: try program(), mode: .process, arguments: arguments, context: context, isUpgrade: true,
            firstToken: previous.nextToken, determinism: WorkflowDeterminism(seed: session.seed, now: session.now))
        return try WorkflowStarter(inner: inner, session: session).makeBehavior(for: process)
    }
}
