import Logging
import Synchronization
public import WippyCore

/// Brings a running application in line with its files: loads the project again and applies the
/// difference to the registry as one changeset (``Registry/applyBaseline(_:)``). Entries added, changed or
/// removed in the files are created, updated or deleted; the kind handlers do the rest (new code for new
/// calls, services restarted when their entry or process code changed).
///
/// A project that does not load or a changeset a handler rejects changes nothing: the running version
/// stays, and one error line names the file, entry and line. Every later save while it is still broken logs
/// the refusal again, naming the broken file and the saved files that wait: changes to other files are not
/// applied on their own, they wait and are applied together with the fix (a project is loaded whole, so a
/// partial reload could run code against definitions that are not there yet). A reload that applies logs one
/// info line naming the changed entries.
///
/// An entry changed at runtime (recorded in the registry history) keeps its runtime version when its file
/// changes, as at boot: one warning line per such entry says so and how to go back to the file.
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
        /// Files saved since the last reload that applied, in the order first seen (absolute paths).
        var waiting: [String] = []
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
        state.withLock { state in
            for change in changed where !state.waiting.contains(change.path) { state.waiting.append(change.path) }
        }
        let project: LoadedProject
        let outcome: Registry.BaselineOutcome
        do {
            project = try loader.load()
        } catch {
            return reject(error.description)
        }
        do {
            outcome = try application.registry.applyBaseline(project.entries)
        } catch {
            return reject(error.message)
        }
        let (sources, wasRejected, waiting) = state.withLock { state in
            state.sources = ProjectSources(project: project, loader: loader)
            defer {
                state.lastRejection = nil
                state.waiting = []
            }
            return (state.sources, state.lastRejection != nil, state.waiting)
        }
        let files = describe(waiting, sources: sources)
        for conflict in outcome.runtimeWins {
            application.logger.warning("reload: \(ProjectReloader.describe(conflict))")
        }
        let changes = outcome.applied
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
        let (repeated, waiting, sources) = state.withLock { state in
            defer { state.lastRejection = message }
            return (state.lastRejection != nil, state.waiting, state.sources)
        }
        // Saved files the message does not name are the ones waiting for the fix.
        let others = waiting.filter { !message.contains(sources.display($0)) }
        let wait = others.isEmpty ? "" : "; saved changes wait to be applied with the fix: \(describe(others, sources: sources))"
        if repeated {
            application.logger.error("reload still rejected, the running version stays: \(message)\(wait)")
        } else {
            application.logger.error("reload rejected, the running version stays: \(message)\(wait)")
        }
        return .rejected(message)
    }

    /// `entry app:x (src/_index.yaml:3) changed in the files, but ...`: one line for an entry whose runtime
    /// version wins over its changed file.
    static func describe(_ conflict: RegistryConflict) -> String {
        "entry \(conflict.id) changed in \(conflict.fileDescription), but it was \(conflict.runtimeDescription), "
            + "and the runtime version wins; `wippy registry reset \(conflict.id)` discards the runtime change"
    }

    /// `created app:a, updated app:b, deleted app:c` (at most ten, then a count).
    static func summary(of changes: [RegistryChange]) -> String {
        let words: [RegistryChange.Kind: String] = [.create: "created", .update: "updated", .delete: "deleted"]
        var parts = changes.prefix(10).map { "\(words[$0.kind]!) \($0.id)" }
        if changes.count > 10 { parts.append("and \(changes.count - 10) more") }
        return parts.joined(separator: ", ")
    }

    private func describe(_ paths: [String], sources: ProjectSources) -> String {
        guard !paths.isEmpty else { return "files" }
        var names = paths.prefix(5).map { sources.display($0) }
        if paths.count > 5 { names.append("\(paths.count - 5) more") }
        return names.joined(separator: ", ")
    }
}
