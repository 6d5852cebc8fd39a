/// One run of a supervised service: how the service reports back to its supervisor.
///
/// A service calls ``started()`` once it is up (within the start timeout, or the run counts as failed with
/// "start timeout"), ``exited(_:)`` exactly once when the run ends (at once if it could not start), and
/// ``details(_:)`` whenever it has something to say about its state. Reports about a run the supervisor
/// has given up on (timed out, replaced) are ignored, so a service never needs to know whether it is late.
public struct ServiceRun: Sendable {
    enum Report: Sendable {
        case started
        case exited(ServiceExit)
        case details(String)
    }

    /// The run number, increasing per service; handy for services that keep per-run state.
    public let number: Int
    let report: @Sendable (Report) -> Void

    init(number: Int, report: @escaping @Sendable (Report) -> Void) {
        self.number = number
        self.report = report
    }

    /// The service is up and running.
    public func started() { report(.started) }

    /// The run ended.
    public func exited(_ exit: ServiceExit) { report(.exited(exit)) }

    /// A status detail (logged and shown as the service's details).
    public func details(_ text: String) { report(.details(text)) }
}
