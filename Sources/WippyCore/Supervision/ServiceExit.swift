/// How one run of a supervised service ended.
public enum ServiceExit: Sendable, Equatable {
    /// Returned normally: the service is done (`exited`) and is not restarted.
    case normal
    /// Failed with an error: `failed`, restarted with back-off while attempts remain.
    case failure(String)
    /// Ended by an error that must not be retried (cancelled, marked non-retryable): `exited`.
    case terminal(String)
}
