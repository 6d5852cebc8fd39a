public import ServiceLifecycle

/// The runtime of `wippy run` as a service: running it starts every `auto_start` host and service (then
/// ``started`` opens); a graceful shutdown of the group stops them all, dependents first, bounded by the
/// shutdown timeout, and then the blocking pool. The first service of the run's group, so the last to stop.
public final class RuntimeService: Service, Sendable {
    public let app: Application
    /// Open once the application has started.
    public let started = Readiness()

    public init(app: Application) {
        self.app = app
    }

    public func run() async throws {
        app.start()
        started.open()
        // Returns on graceful shutdown, throws on cancellation: either way, stop.
        try? await gracefulShutdown()
        await app.stop()
    }
}

extension RuntimeService: CustomStringConvertible {
    public var description: String { "runtime" }
}
