/// A change of a supervised service's state, for logs and `supervisor`/`service.update` events.
public struct ServiceStateChange: Sendable {
    public var state: ServiceState
    /// The status changed (rather than only the details, desired status or retry count).
    public var statusChanged: Bool

    public init(state: ServiceState, statusChanged: Bool) {
        self.state = state
        self.statusChanged = statusChanged
    }
}
