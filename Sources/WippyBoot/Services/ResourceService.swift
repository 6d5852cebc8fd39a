import Dispatch
import WippyCore

/// The supervised side of a resource entry (`db.sql.*`, `store.*`, `queue.driver.*`, `fs.directory`, ...):
/// a run opens the resource and installs it in the ``ResourceTable``, where modules acquire it.
///
/// - Opening runs off the supervisor's thread (it may connect to a server or open a file).
/// - A failed open is recorded in the table with the reason (acquiring says why) and reported as a failure,
///   so the supervisor retries it under the entry's `lifecycle`; the rest of the application runs on.
/// - Stopping a run does not take the resource away: a restart (the entry changed, see
///   ``Supervisor/replace(_:service:lifecycle:)``) swaps the new one in, and leases already taken finish on
///   the old one, which is closed when they are released. The kind removes the resource from the table
///   when its entry is deleted, and the application closes them all when it stops.
final class ResourceService: SupervisedService {
    typealias Opener = @Sendable () throws(WippyError) -> any Resource

    let id: EntryID
    let kind: String
    let table: ResourceTable
    let open: Opener

    /// `needs`: the resource this one opens on (a store's database), named when acquiring it is refused
    /// because that one could not start.
    init(id: EntryID, kind: String, table: ResourceTable, needs: EntryID? = nil, open: @escaping Opener) {
        self.id = id
        self.kind = kind
        self.table = table
        self.open = open
        table.declare(id, kind: kind, needs: needs)
    }

    func start(_ run: ServiceRun) {
        let (id, kind, table, open) = (id, kind, table, open)
        DispatchQueue.global().async {
            do throws(WippyError) {
                table.install(id, try open())
                run.started()
            } catch {
                table.fail(id, kind: kind, reason: error.message)
                run.exited(.failure("\(id) (\(kind)) could not start: \(error.message)"))
            }
        }
    }

    func stop(_ run: ServiceRun) { run.exited(.normal) }
}
