import Logging
public import WippyCore

extension WorkflowEngine {
    /// The code of `entries` changed in the registry (a hot reload, the registry API): the journals of this
    /// engine's runs of them in flight are replayed against the new code in the background, and the runs that
    /// would diverge are reported (``WorkflowReplayChecker``). The runs keep their pinned code.
    public func codeChanged(_ entries: Set<EntryID>) {
        guard !entries.isEmpty, !isStopping else { return }
        // Every run of this host in flight: in memory here or parked out of it.
        store.list(statuses: [.running], limit: .max) { [self] listed in
            guard case .success(let records) = listed else { return }
            var byEntry: [EntryID: [WorkflowRecord]] = [:]
            for record in records where entries.contains(record.entry) && isOwnHost(record) {
                byEntry[record.entry, default: []].append(record)
            }
            for (entry, records) in byEntry.sorted(by: { $0.key < $1.key }) {
                guard let program = runtime.program(entry), program.kind == .workflow || program.kind == .process else {
                    logger.warning("workflow code \(entry) changed: \(records.count) runs in flight keep their pinned code; the entry no longer compiles to a workflow, nothing replayed")
                    continue
                }
                replayChecks.check(entry: entry, program: program, records: records, engine: self)
            }
        }
    }
}
