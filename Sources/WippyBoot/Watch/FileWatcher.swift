import Dispatch
import Foundation
import Synchronization
public import WippyCore

/// Watches directory trees for files being written, created, renamed or deleted, and reports them in
/// batches: a burst of events (an editor's save) becomes one batch once the quiet window has passed.
///
/// Built on Linux inotify. Every directory of a recursive root gets a watch; directories created later are
/// watched as they appear (with the files already in them reported), and removed or moved-away ones are
/// dropped. Hidden directories and `node_modules` are not entered, as the project loader skips them too;
/// symbolic links are not followed. One thread waits for events and calls `onChange` (never concurrently).
public final class FileWatcher: Sendable {
    /// A directory to watch: with everything below it (`recursive`) or for its own files only.
    public struct Root: Sendable, Hashable {
        public var path: String
        public var recursive: Bool

        public init(path: String, recursive: Bool = true) {
            self.path = ProjectPath.clean(path)
            self.recursive = recursive
        }
    }

    private struct State {
        var table = WatchTable()
        var coalescer: ChangeCoalescer<ContinuousClock.Instant>
        var roots: [Root] = []
        /// Directories that exist but could not be watched, with why; retried every ``retryInterval``.
        var failing: [String: String] = [:]
        /// The problem last reported through `onProblem` (nil: none, or it was resolved).
        var reported: String?
    }

    /// How often directories that could not be watched are tried again.
    static let retryInterval: Duration = .seconds(2)

    private let inotify: Inotify
    private let state: Mutex<State>
    private let filter: @Sendable (WatchedChange) -> Bool
    private let onChange: @Sendable ([WatchedChange]) -> Void
    private let onProblem: @Sendable (String?) -> Void
    private let running = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - quietWindow: how long no event must arrive before a batch is reported.
    ///   - maximumDelay: the longest a change waits while events keep arriving.
    ///   - filter: which changes count (others are dropped before they start a batch). Called with the
    ///     watcher's lock held: it must not call back into the watcher.
    ///   - onChange: receives each batch, on the watcher's thread; it may call ``watch(_:)``.
    ///   - onProblem: told (once per new problem, on the watcher's thread or in ``watch(_:)``) when a
    ///     directory exists but cannot be watched, with the system's reason; the watcher keeps trying every
    ///     ``retryInterval`` and calls it with nil once everything is watched again.
    public init(
        quietWindow: Duration = .milliseconds(30), maximumDelay: Duration = .milliseconds(500),
        filter: @escaping @Sendable (WatchedChange) -> Bool = { _ in true },
        onProblem: @escaping @Sendable (String?) -> Void = { _ in },
        onChange: @escaping @Sendable ([WatchedChange]) -> Void
    ) throws(WippyError) {
        inotify = try Inotify()
        state = Mutex(State(coalescer: ChangeCoalescer(quietWindow: quietWindow, maximumDelay: maximumDelay)))
        self.filter = filter
        self.onChange = onChange
        self.onProblem = onProblem
    }

    /// Replaces the watched roots. When it returns, every change under the new roots is seen. A recursive
    /// root that does not exist (yet, or any more) is waited for: its nearest existing parent is watched,
    /// and once it appears it is watched and reported as changed.
    public func watch(_ roots: [Root]) {
        let problem = state.withLock { state in
            state.roots = roots
            state.table.roots = Set(roots.filter(\.recursive).map(\.path))
            synchronize(&state)
            return problemToReport(&state)
        }
        if let problem { onProblem(problem.message) }
    }

    /// The directories watched now (for tests and diagnostics).
    public var watchedDirectories: [String] { state.withLock { $0.table.watches.values.map(\.path).sorted() } }

    /// Starts the watcher thread (once).
    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "wippy-watch"
        thread.start()
    }

    /// Stops the thread and waits for it (a batch being handled finishes first). Pending changes are dropped.
    public func stop() {
        guard running.load(ordering: .acquiring), !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        inotify.wake()
        finished.wait()
    }

    private func loop() {
        let clock = ContinuousClock()
        var retryAt: ContinuousClock.Instant?
        while !stopping.load(ordering: .acquiring) {
            let (due, failing) = state.withLock { ($0.coalescer.deadline, !$0.failing.isEmpty) }
            if failing, retryAt == nil { retryAt = clock.now.advanced(by: FileWatcher.retryInterval) }
            if !failing { retryAt = nil }
            let deadline = [due, retryAt].compactMap { $0 }.min()
            var timeout: Int32 = -1
            if let deadline {
                let (seconds, attoseconds) = (deadline - clock.now).components
                let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: max(0, milliseconds))
            }
            let readiness = inotify.wait(milliseconds: timeout)
            if stopping.load(ordering: .acquiring) { break }
            if readiness.events {
                let events = inotify.readEvents()
                let now = clock.now
                state.withLock { state in
                    for event in events { handle(event, in: &state, at: now) }
                }
            }
            if let at = retryAt, clock.now >= at {
                retryAt = nil
                let now = clock.now
                state.withLock { state in
                    let before = Set(state.failing.keys)
                    synchronize(&state)
                    // What was not watched may have changed meanwhile.
                    for path in before.subtracting(state.failing.keys).sorted() {
                        note(WatchedChange(path: path, isDirectory: true), in: &state, at: now)
                    }
                }
            }
            if let problem = state.withLock({ problemToReport(&$0) }) { onProblem(problem.message) }
            if let batch = state.withLock({ $0.coalescer.takeBatch(at: clock.now) }), !batch.isEmpty {
                onChange(batch)
            }
        }
    }

    /// A change of the watching problem to report: a new problem, or nil-message once resolved.
    private func problemToReport(_ state: inout State) -> (message: String?, Void)? {
        let current: String? = state.failing.isEmpty ? nil : state.failing.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: "; ")
        guard current != state.reported else { return nil }
        state.reported = current
        return (current, ())
    }

    private func handle(_ event: InotifyEvent, in state: inout State, at now: ContinuousClock.Instant) {
        for action in state.table.actions(for: event) {
            switch action {
            case .changed(let change):
                note(change, in: &state, at: now)
            case .watchTree(let path):
                for file in watchTree(path, recursive: true, in: &state) { note(WatchedChange(path: file), in: &state, at: now) }
            case .unwatchTree(let path):
                for descriptor in state.table.removeTree(path) { inotify.removeWatch(descriptor) }
            case .rescan:
                synchronize(&state)
                for root in state.roots { note(WatchedChange(path: root.path, isDirectory: true), in: &state, at: now) }
            case .resync(let root):
                synchronize(&state)
                note(WatchedChange(path: root, isDirectory: true), in: &state, at: now)
            }
        }
    }

    private func note(_ change: WatchedChange, in state: inout State, at now: ContinuousClock.Instant) {
        if filter(change) { state.coalescer.note(change, at: now) }
    }

    /// Makes the watches match the roots: directories no longer wanted are dropped, missing ones added. A
    /// recursive root that does not exist is waited for on its nearest existing parent (watched on its own).
    private func synchronize(_ state: inout State) {
        // A directory made while the watches were being set up may have been missed: look again until what is
        // wanted stays the same.
        var wanted = wantedWatches(state)
        for _ in 0..<8 {
            apply(wanted, to: &state)
            let now = wantedWatches(state)
            if now == wanted { return }
            wanted = now
        }
    }

    /// The directories to watch and whether recursively: every directory of each recursive root, the
    /// nearest existing parent of a missing recursive root (on its own), and the non-recursive roots.
    private func wantedWatches(_ state: State) -> [String: Bool] {
        var wanted: [String: Bool] = [:]
        for root in state.roots where root.recursive {
            let found = directories(under: root.path)
            for directory in found { wanted[directory] = true }
            if found.isEmpty, let parent = nearestExistingParent(of: root.path), wanted[parent] == nil { wanted[parent] = false }
        }
        for root in state.roots where !root.recursive && wanted[root.path] == nil { wanted[root.path] = false }
        return wanted
    }

    private func apply(_ wanted: [String: Bool], to state: inout State) {
        state.failing = [:]
        for (descriptor, watch) in state.table.watches where wanted[watch.path] != watch.recursive {
            inotify.removeWatch(descriptor)
            state.table.remove(descriptor)
        }
        let roots = Set(state.roots.map(\.path))
        for (path, recursive) in wanted.sorted(by: { $0.key < $1.key }) where state.table.descriptor(for: path) == nil {
            // A root may itself be a symbolic link to a directory; below it, links are not followed.
            let mask: InotifyEvent.Mask = roots.contains(path) ? InotifyEvent.Mask.watched.subtracting(.dontFollow) : .watched
            let (descriptor, failure) = inotify.addWatchReporting(path, mask: mask)
            if let descriptor {
                state.table.insert(descriptor, path: path, recursive: recursive)
            } else if let failure {
                state.failing[path] = failure
            }
        }
    }

    /// The closest directory above `path` that exists.
    private func nearestExistingParent(of path: String) -> String? {
        var cursor = path
        while cursor != "/" && !cursor.isEmpty {
            let parent = ProjectPath.directory(of: cursor)
            guard parent != cursor else { break }
            cursor = parent
            if ProjectFileSystem.kind(of: cursor) == .directory { return cursor }
        }
        return nil
    }

    /// Watches `path` (and its subdirectories when `recursive`); returns the files found in them.
    private func watchTree(_ path: String, recursive: Bool, in state: inout State) -> [String] {
        // The watch goes on before the listing, so a file is either listed or reported by an event.
        let (added, failure) = inotify.addWatchReporting(path)
        if let failure { state.failing[path] = failure }
        guard let descriptor = added else { return [] }
        state.table.insert(descriptor, path: path, recursive: recursive)
        var files: [String] = []
        for name in (try? ProjectFileSystem.sortedNames(in: path)) ?? [] {
            let child = path + "/" + name
            if ProjectFileSystem.isRealDirectory(child) {
                if recursive && !state.table.skipsDirectory(name) { files += watchTree(child, recursive: true, in: &state) }
            } else {
                files.append(child)
            }
        }
        return files
    }

    /// `root` and every directory below it that the loader would enter.
    private func directories(under root: String) -> [String] {
        guard ProjectFileSystem.kind(of: root) == .directory else { return [] }
        var found = [root]
        var index = 0
        while index < found.count {
            let directory = found[index]
            index += 1
            for name in (try? ProjectFileSystem.sortedNames(in: directory)) ?? [] where !DefinitionScanner.skipsDirectory(named: name) {
                let child = directory == "/" ? "/" + name : directory + "/" + name
                if ProjectFileSystem.isRealDirectory(child) { found.append(child) }
            }
        }
        return found
    }
}
