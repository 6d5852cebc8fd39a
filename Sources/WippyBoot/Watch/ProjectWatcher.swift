import Logging
import Synchronization
public import WippyCore

/// Hot reload from disk: watches a running application's source directory, vendored modules and lock file,
/// and reloads the project (``ProjectReloader``) once a burst of changes has settled.
///
/// Wippy itself has no file watcher (files are read at boot); this is the port's addition for development.
/// Started after boot, stopped before shutdown. When the lock file changes the set of trees, the watches
/// follow.
public final class ProjectWatcher: Sendable {
    public let reloader: ProjectReloader
    public let quietWindow: Duration
    private let watcher = Mutex<FileWatcher?>(nil)

    public init(application: Application, quietWindow: Duration = .milliseconds(30)) {
        reloader = ProjectReloader(application: application)
        self.quietWindow = quietWindow
    }

    /// Starts watching (once).
    public func start() throws(WippyError) {
        let reloader = self.reloader
        let logger = reloader.application.logger
        let fileWatcher = try FileWatcher(
            quietWindow: quietWindow, filter: { reloader.isRelevant($0) },
            onProblem: { problem in
                if let problem {
                    logger.error("hot reload cannot watch \(problem); changes there are not seen, trying again every 2 s")
                } else {
                    logger.info("hot reload watches every project directory again")
                }
            },
            onChange: { [self] batch in handle(batch) })
        let started = watcher.withLock { current -> Bool in
            guard current == nil else { return false }
            current = fileWatcher
            return true
        }
        guard started else { return }
        fileWatcher.watch(reloader.sources.watchRoots)
        fileWatcher.start()
    }

    /// Stops watching; a reload under way finishes first.
    public func stop() {
        let current = watcher.withLock { current -> FileWatcher? in
            defer { current = nil }
            return current
        }
        current?.stop()
    }

    /// The directories watched now.
    public var watchedDirectories: [String] { watcher.withLock { $0 }?.watchedDirectories ?? [] }

    private func handle(_ batch: [WatchedChange]) {
        let roots = reloader.sources.watchRoots
        reloader.reload(changed: batch)
        let newRoots = reloader.sources.watchRoots
        if newRoots != roots { watcher.withLock { $0 }?.watch(newRoots) }
    }
}

extension Application {
    /// Starts hot reload from disk (see ``ProjectWatcher``); `nil`, with a warning logged, when the files
    /// cannot be watched.
    public func watchProjectFiles(quietWindow: Duration = .milliseconds(30)) -> ProjectWatcher? {
        let watcher = ProjectWatcher(application: self, quietWindow: quietWindow)
        do {
            try watcher.start()
        } catch {
            logger.warning("hot reload is off: cannot watch the project files: \(error.message)")
            return nil
        }
        let trees = watcher.reloader.sources.trees.map { watcher.reloader.sources.display($0) }
        logger.debug("watching \(trees.isEmpty ? "the lock file" : trees.joined(separator: ", ")) for changes")
        return watcher
    }
}
