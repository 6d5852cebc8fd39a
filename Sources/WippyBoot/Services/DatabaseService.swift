import WippyCore

/// The supervised side of a `db.sql.*` entry. Wippy supervises its databases (a service may `depends_on`
/// one, and `lifecycle.auto_start` opens it at boot); here a database is configuration the workflow store
/// and, later, the `sql` module read when they connect, so a run starts at once and stops at once.
final class DatabaseService: SupervisedService {
    func start(_ run: ServiceRun) { run.started() }
    func stop(_ run: ServiceRun) { run.exited(.normal) }
}
