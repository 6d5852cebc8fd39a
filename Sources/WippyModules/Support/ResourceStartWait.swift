import Foundation
import WippyCore

/// Waiting for a resource entry that is declared but still opening (a `wippy run -x` entry point may run
/// before the stores and queues it uses have started). Runs on the blocking pool only: it waits.
enum ResourceStartWait {
    /// How long a call waits for a starting resource before it fails with "not started yet".
    static let limit: Duration = .seconds(30)

    /// True when `error` (from acquiring `id`) means it was starting: declared and not failed. It may have
    /// opened since the acquire failed (the start raced with the call): then ``wait(for:in:)`` returns at
    /// once and the caller's second acquire gets it. Asking "not open now" here answered "not started yet"
    /// for a resource that had just opened (a rare wrong result under load).
    static func isStarting(_ error: WippyError, id: EntryID, in table: ResourceTable) -> Bool {
        error.kind == .unavailable && table.failure(id) == nil && table.ids.contains(id)
    }

    /// Waits until `id` is open or failed, or `limit` passed (told by ``ResourceTable/whenStarted(_:_:)``,
    /// which `sql.get` uses too, instead of polling).
    static func wait(for id: EntryID, in table: ResourceTable) {
        let settled = DispatchSemaphore(value: 0)
        table.whenStarted(id) { settled.signal() }
        _ = settled.wait(timeout: .now() + .seconds(Int(limit.components.seconds)))
    }
}
