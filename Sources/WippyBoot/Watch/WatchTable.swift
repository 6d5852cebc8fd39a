/// Which directory each inotify watch is on, and what an event means for the watcher.
///
/// inotify is not recursive: every directory of a watched tree has its own watch. The table maps watch
/// descriptors to directories and turns each event into ``Action``s — a path changed, a new directory needs
/// watching (with what is already inside it), a removed or moved-away directory's watches must go, or
/// everything must be rescanned after the kernel dropped events. It makes no system calls, so it is tested
/// with made-up events.
public struct WatchTable: Sendable {
    /// What the watcher must do for an event.
    public enum Action: Sendable, Equatable {
        /// Report a change.
        case changed(WatchedChange)
        /// Watch this new directory and everything below it; report the files found in it as changes.
        case watchTree(String)
        /// Stop watching this directory and everything below it.
        case unwatchTree(String)
        /// Events were lost: resynchronise every watch and treat everything as changed.
        case rescan
        /// A root, or a directory on the way to one, appeared or went away: resynchronise the watches (a
        /// missing root is waited for on its nearest existing parent) and report the root as changed.
        case resync(String)
    }

    /// A watched directory; `recursive` is false for a directory watched for its own files only.
    public struct Watch: Sendable, Equatable {
        public var path: String
        public var recursive: Bool
    }

    public private(set) var watches: [Int32: Watch] = [:]
    /// The roots of the recursive trees watched: their appearing or going away calls for a ``Action/resync(_:)``.
    public var roots: Set<String> = []
    private var descriptors: [String: Int32] = [:]
    /// Directory names never watched inside a tree (hidden directories, `node_modules`).
    public var skipsDirectory: @Sendable (String) -> Bool

    public init(skipsDirectory: @escaping @Sendable (String) -> Bool = DefinitionScanner.skipsDirectory(named:)) {
        self.skipsDirectory = skipsDirectory
    }

    public var isEmpty: Bool { watches.isEmpty }

    public func descriptor(for path: String) -> Int32? { descriptors[path] }

    public mutating func insert(_ descriptor: Int32, path: String, recursive: Bool) {
        // inotify hands back the same descriptor for a directory watched twice; keep the stronger watch.
        let wasRecursive = watches[descriptor]?.recursive ?? false
        if let old = watches[descriptor]?.path, old != path { descriptors[old] = nil }
        watches[descriptor] = Watch(path: path, recursive: recursive || wasRecursive)
        descriptors[path] = descriptor
    }

    /// Forgets one watch.
    public mutating func remove(_ descriptor: Int32) {
        guard let watch = watches.removeValue(forKey: descriptor) else { return }
        if descriptors[watch.path] == descriptor { descriptors[watch.path] = nil }
    }

    /// Forgets the watches of `path` and of every directory below it; returns their descriptors.
    public mutating func removeTree(_ path: String) -> [Int32] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let gone = watches.filter { $0.value.path == path || $0.value.path.hasPrefix(prefix) }.map(\.key).sorted()
        for descriptor in gone { remove(descriptor) }
        return gone
    }

    /// The roots at `path` or below it (when `path` is a directory on the way to them).
    public func roots(reachedThrough path: String) -> [String] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return roots.filter { $0 == path || $0.hasPrefix(prefix) }.sorted()
    }

    /// What `event` calls for. A watch the kernel dropped (`ignored`) is forgotten here.
    public mutating func actions(for event: InotifyEvent) -> [Action] {
        let mask = event.mask
        if mask.contains(.queueOverflow) { return [.rescan] }
        guard let watch = watches[event.descriptor] else { return [] }
        if mask.contains(.ignored) {
            remove(event.descriptor)
            return roots(reachedThrough: watch.path).map(Action.resync)
        }
        if event.name.isEmpty {
            // The watched directory itself went away; its parent (if watched) reports it too. A root that
            // goes is then waited for on its parent.
            let gone = roots(reachedThrough: watch.path).map(Action.resync)
            if mask.contains(.deleteSelf) { return [.changed(WatchedChange(path: watch.path, isDirectory: true))] + gone }
            if mask.contains(.moveSelf) {
                return [.unwatchTree(watch.path), .changed(WatchedChange(path: watch.path, isDirectory: true))] + gone
            }
            return []
        }
        let path = watch.path == "/" ? "/" + event.name : watch.path + "/" + event.name
        if !mask.intersection([.create, .movedTo, .delete, .movedFrom]).isEmpty {
            // A root (or a directory on the way to one) appeared, or went away from a parent that waits for it.
            let reached = roots(reachedThrough: path)
            if !reached.isEmpty && (!watch.recursive || roots.contains(path)) {
                return reached.map(Action.resync)
            }
        }
        if mask.contains(.isDirectory) {
            guard watch.recursive, !skipsDirectory(event.name) else { return [] }
            if !mask.intersection([.create, .movedTo]).isEmpty { return [.watchTree(path)] }
            if !mask.intersection([.delete, .movedFrom]).isEmpty {
                return [.unwatchTree(path), .changed(WatchedChange(path: path, isDirectory: true))]
            }
            return []
        }
        let fileEvents: InotifyEvent.Mask = [.closeWrite, .movedFrom, .movedTo, .create, .delete, .modify, .attributes]
        guard !mask.intersection(fileEvents).isEmpty else { return [] }
        return [.changed(WatchedChange(path: path))]
    }
}
