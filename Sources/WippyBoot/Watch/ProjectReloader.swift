import Logging
import Synchronization
public import WippyCore

/// Brings a running application in line with its files: loads the project again and applies the
/// difference to the registry as one changeset (``Registry/applyBaseline(_:)``). Entries added, changed or
/// removed in the files are created, updated or deleted; the kind handlers do the rest (new code for new
/// calls, services restarted when their entry or process code changed).
///
/// A project that does not load or a changeset a handler rejects changes nothing: the running version
/// stays, and one error line names the file, entry and line. The same rejection again is not logged twice.
/// A reload that applies logs one info line naming the changed entries.
public final class ProjectReloader: Sendable {
    /// What a reload did.
    public enum Outcome: Sendable, Equatable {
        /// The changes applied, in the order applied.
        case applied([RegistryChange])
        /// The files define the entries that run already.
        case unchanged
        /// Nothing changed; the message names the file, entry and line at fault.
        case rejected(String)
    }

    private struct State {
        var sources: ProjectSources
        var lastRejection: String?
    }

    public let application: Application
    public let loader: ProjectLoader
    private let state: Mutex<State>

    /// Learns the project's sources by loading it (a project that no longer loads is taken from its lock
    /// file, and the next change of any of its files retries).
    public init(application: Application) {
        self.application = application
        loader = ProjectLoader(projectRoot: application.options.projectRoot, lockFile: application.options.lockFile)
        do {
            let project = try loader.load()
            state = Mutex(State(sources: ProjectSources(project: project, loader: loader)))
        } catch {
            let lock = try? LockFile.read(at: loader.lockFilePath)
            state = Mutex(State(sources: ProjectSources(lock: lock, loader: loader), lastRejection: error.description))
        }
    }

    /// The files the project is made of, as of the last load.
    public var sources: ProjectSources { state.withLock { $0.sources } }

    /// Whether a file change calls for a reload (see ``ProjectSources/isRelevant(_:afterRejection:)``).
    public func isRelevant(_ change: WatchedChange) -> Bool {
        state.withLock { $0.sources.isRelevant(change, afterRejection: $0.lastRejection != nil) }
    }

    /// Loads the project and applies what changed. `changed` (the files that triggered it) is only reported.
    @discardableResult
    public func reload(changed: [WatchedChange] = []) -> Outcome {
        let project: LoadedProject
        let changes: [RegistryChange]
        do {
            project = try loader.load()
        } catch {
            return reject(error.description)
        }
        do {
            changes = try application.registry.applyBaseline(project.entries)
        } catch {
            return reject(error.message)
        }
        let (sources, wasRejected) = state.withLock { state in
            state.sources = ProjectSources(project: project, loader: loader)
            defer { state.lastRejection = nil }
            return (state.sources, state.lastRejection != nil)
        }
        let files = describe(changed, sources: sources)
        if changes.isEmpty {
            if wasRejected {
                application.logger.info("reload: \(files) back to the running version, nothing to change")
            } else {
                application.logger.debug("reload: \(files) changed, no entry did")
            }
            return .unchanged
        }
        application.logger.info("reloaded \(files): \(ProjectReloader.summary(of: changes))")
        return .applied(changes)
    }

    private func reject(_ message: String) -> Outcome {
        let repeated = state.withLock { state in
            defer { state.lastRejection = message }
            return state.lastRejection == message
        }
        if repeated {
            application.logger.debug("reload still rejected: \(message)")
        } else {
            application.logger.error("reload rejected, the running version stays: \(message)")
        }
        return .rejected(message)
    }

    /// `created app:a, updated app:b, deleted app:c` (at most ten, then a count).
    static func summary(of changes: [RegistryChange]) -> String {
        let words: [RegistryChange.Kind: String] = [.create: "created", .update: "updated", .delete: "deleted"]
        var parts = changes.prefix(10).map { "\(words[$0.kind]!) \($0.id)" }
        if changes.count > 10 { parts.append("and \(changes.count - 10) more") }
        return parts.joined(separator: ", ")
    }

    private func describe(_ changed: [WatchedChange], sources: ProjectSources) -> String {
        guard !changed.isEmpty else { return "files" }
        var names = changed.prefix(5).map { sources.display($0.path) }
        if changed.count > 5 { names.append("\(changed.count - 5) more") }
        return names.joined(separator: ", ")
    }
}
