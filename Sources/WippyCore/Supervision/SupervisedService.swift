/// Something the supervisor keeps running: a service process, a host, a server.
///
/// The supervisor calls these methods one at a time per service, from whichever thread is driving it; none
/// of them may block (hand long work such as joining threads to another queue and report through the run).
public protocol SupervisedService: AnyObject, Sendable {
    /// Starts one run, which reports back through `run` (``ServiceRun``).
    func start(_ run: ServiceRun)
    /// Asks `run` to end gracefully (a CANCEL); the supervisor calls ``terminate(_:)`` if it has not ended
    /// within the stop timeout.
    func stop(_ run: ServiceRun)
    /// Ends `run` at once (after a stop timeout or a start timeout).
    func terminate(_ run: ServiceRun)
    /// The process of the running instance, for status reports (nil when the service is not a process).
    var runningProcess: PID? { get }
}

extension SupervisedService {
    public func terminate(_ run: ServiceRun) {}
    public var runningProcess: PID? { nil }
}
