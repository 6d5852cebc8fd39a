public import ServiceLifecycle
import Synchronization

/// Hot reload (the project watcher) as a service: started once the runtime runs (then ``watching`` opens,
/// also when the files cannot be watched: that is logged), stopped on graceful shutdown.
public final class WatchService: Service, Sendable {
    public let app: Application
    let after: Readiness
    public let watching = Readiness()
    private let watcher = Mutex<ProjectWatcher?>(nil)

    public init(app: Application, after runtimeStarted: Readiness) {
        self.app = app
        self.after = runtimeStarted
    }

    public func run() async throws {
        guard await after.wait() else { return }
        let started = app.watchProjectFiles()
        watcher.withLock { $0 = started }
        watching.open()
        try? await gracefulShutdown()
        watcher.withLock { watcher in
            watcher?.stop()
            watcher = nil
        }
    }
}

extension WatchService: CustomStringConvertible {
    public var description: String { "file watcher" }
}
