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
    }

    private let inotify: Inotify
    private let state: Mutex<State>
    private let filter: @Sendable (WatchedChange) -> Bool
    private let onChange: @Sendable ([WatchedChange]) -> Void
    private let running = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - quietWindow: how long no event must arrive before a batch is reported.
    ///   - maximumDelay: the longest a change waits while events keep arriving.
    ///   - filter: which changes count (others are dropped before they start a batch). Called with the
    ///     watcher's lock held: it must not call back into the watcher.
    ///   - onChange: receives each batch, on the watcher's thread; it may call ``watch(_:)``.
    public init(
        quietWindow: Duration = .milliseconds(30), maximumDelay: Duration = .milliseconds(500),
        filter: @escaping @Sendable (WatchedChange) -> Bool = { _ in true },
        onChange: @escaping @Sendable ([WatchedChange]) -> Void
    ) throws(WippyError) {
        inotify = try Inotify()
        state = Mutex(State(coalescer: ChangeCoalescer(quietWindow: quietWindow, maximumDelay: maximumDelay)))
        self.filter = filter
        self.onChange = onChange
    }

    /// Replaces the watched roots. When it returns, every change under the new roots is seen.
    public func watch(_ roots: [Root]) {
        state.withLock { state in
            state.roots = roots
            synchronize(&state)
        }
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
        while !stopping.load(ordering: .acquiring) {
            let deadline = state.withLock { $0.coalescer.deadline }
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
            if let batch = state.withLock({ $0.coalescer.takeBatch(at: clock.now) }), !batch.isEmpty {
                onChange(batch)
            }
        }
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
            }
        }
    }

    private func note(_ change: WatchedChange, in state: inout State, at now: ContinuousClock.Instant) {
        if filter(change) { state.coalescer.note(change, at: now) }
    }

    /// Makes the watches match the roots: directories no longer wanted are dropped, missing ones added.
    private func synchronize(_ state: inout State) {
        var wanted: [String: Bool] = [:]
        for root in state.roots where root.recursive {
            for directory in directories(under: root.path) { wanted[directory] = true }
        }
        for root in state.roots where !root.recursive && wanted[root.path] == nil { wanted[root.path] = false }
        for (descriptor, watch) in state.table.watches where wanted[watch.path] != watch.recursive {
            inotify.removeWatch(descriptor)
            state.table.remove(descriptor)
        }
        let roots = Set(state.roots.map(\.path))
        for (path, recursive) in wanted.sorted(by: { $0.key < $1.key }) where state.table.descriptor(for: path) == nil {
            // A root may itself be a symbolic link to a directory; below it, links are not followed.
            let mask: InotifyEvent.Mask = roots.contains(path) ? InotifyEvent.Mask.watched.subtracting(.dontFollow) : .watched
            if let descriptor = inotify.addWatch(path, mask: mask) {
                state.table.insert(descriptor, path: path, recursive: recursive)
            }
        }
    }

    /// Watches `path` (and its subdirectories when `recursive`); returns the files found in them.
    private func watchTree(_ path: String, recursive: Bool, in state: inout State) -> [String] {
        // The watch goes on before the listing, so a file is either listed or reported by an event.
        guard let descriptor = inotify.addWatch(path) else { return [] }
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
