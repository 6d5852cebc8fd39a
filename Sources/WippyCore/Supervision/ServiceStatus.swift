/// The states of a supervised service, with Wippy's status strings.
public enum ServiceStatus: String, Sendable, Equatable {
    case unknown, starting, running, stopping, stopped, exited, failed
}
