public import ServiceLifecycle

/// The control socket (`.wippy/control.sock`, read by `wippy status`) as a service: bound once the runtime
/// started (then ``serving`` opens), closed and removed on graceful shutdown.
public final class ControlService: Service, Sendable {
    public let app: Application
    let after: Readiness
    /// Open once the socket answers (or could not be bound: that is logged, not fatal).
    public let serving = Readiness()

    public init(app: Application, after runtimeStarted: Readiness) {
        self.app = app
        self.after = runtimeStarted
    }

    public func run() async throws {
        guard await after.wait() else { return }
        app.serveControl()
        serving.open()
        try? await gracefulShutdown()
        app.stopControl()
    }
}

extension ControlService: CustomStringConvertible {
    public var description: String { "control socket" }
}
