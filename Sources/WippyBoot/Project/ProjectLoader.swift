import WippyCore

/// Loads a project directory: reads `wippy.lock`, scans the source directory and the vendored modules for
/// definition files, and returns their entries.
///
/// Unlike Wippy, which logs a warning and skips a bad file, the loader is strict: a malformed file, an invalid
/// entry, a missing `file://` target or a duplicate entry ID stops the load with one ``ProjectError`` naming the
/// file, line and entry. Kinds are not checked here; the runtime does that.
public struct ProjectLoader: Sendable {
    /// Absolute project root.
    public var projectRoot: String
    /// Lock file path, relative to the project root unless absolute.
    public var lockFile: String

    public init(projectRoot: String, lockFile: String = LockFile.defaultFileName) {
        self.projectRoot = ProjectPath.absolute(projectRoot)
        self.lockFile = lockFile
    }

    /// Absolute path of the lock file.
    public var lockFilePath: String { ProjectPath.join(projectRoot, lockFile) }

    /// Loads the lock file and every entry. A missing project directory or lock file is an error that says what
    /// a project looks like.
    public func load() throws(ProjectError) -> LoadedProject {
        switch ProjectFileSystem.kind(of: projectRoot) {
        case .missing: throw ProjectError("project directory \(projectRoot) does not exist")
        case .file: throw ProjectError("project directory \(projectRoot) is a file, not a directory")
        case .directory: break
        }
        let lockPath = lockFilePath
        switch ProjectFileSystem.kind(of: lockPath) {
        case .missing:
            throw ProjectError(
                "no lock file \(lockFile) in \(projectRoot): a Wippy project has a wippy.lock at its root naming its "
                    + "source directory (`directories: {src: ./src}`), with the entries' YAML files under it; "
                    + "`wippy init` creates one")
        case .directory:
            throw ProjectError("lock file is a directory", file: display(lockPath))
        case .file:
            break
        }
        let lockDisplay = display(lockPath)
        let lock = try LockFile.read(at: lockPath, displayPath: lockDisplay)
        var notes: [String] = []

        let sourceDirectory = lock.resolvedSourceDirectory(lockFilePath: lockPath)
        guard ProjectFileSystem.kind(of: sourceDirectory) == .directory else {
            throw ProjectError(
                "source directory \(lock.sourceDirectory) (resolved to \(display(sourceDirectory))) does not exist",
                file: lockDisplay)
        }
        var entries = try loadTree(sourceDirectory, module: nil)

        let vendor = lock.resolvedVendorDirectory(lockFilePath: lockPath)
        for module in lock.normalizedModules {
            let located = try VendoredModule.locate(module, vendorDirectory: vendor, lockFile: lockDisplay, display: display)
            let moduleEntries = try loadTree(located.treeRoot, module: module)
            notes.append("loaded module \(module.name) \(module.version) from \(display(located.treeRoot)) (\(moduleEntries.count) entries)")
            entries += moduleEntries
        }

        try Self.checkDuplicates(entries)
        entries.sort { $0.id < $1.id }
        return LoadedProject(root: projectRoot, lockFile: lock, entries: entries, notes: notes)
    }

    /// Loads every definition file under `treeRoot`, tagging entries with the module when there is one.
    func loadTree(_ treeRoot: String, module: LockedModule?) throws(ProjectError) -> [Entry] {
        var entries: [Entry] = []
        let files: [String]
        do {
            files = try DefinitionScanner.definitionFiles(under: treeRoot)
        } catch {
            var located = error
            located.file = located.file.map(display)
            throw located
        }
        for path in files {
            let file = DefinitionFile(path: path, treeRoot: treeRoot, projectRoot: projectRoot)
            for var entry in try file.load() {
                if let module {
                    entry.meta["module"] = .string(module.name)
                    entry.meta["module_version"] = .string(module.version)
                }
                entries.append(entry)
            }
        }
        return entries
    }

    /// Fails on the first ID defined twice, naming both places.
    static func checkDuplicates(_ entries: [Entry]) throws(ProjectError) {
        var seen: [EntryID: EntryOrigin?] = [:]
        for entry in entries {
            if let first = seen[entry.id] {
                let firstPlace = first?.description ?? "an earlier definition"
                throw ProjectError(
                    "duplicate entry id \(entry.id): already defined at \(firstPlace)",
                    file: entry.origin?.file, line: entry.origin?.line, entry: entry.id.description)
            }
            seen[entry.id] = entry.origin
        }
    }

    private func display(_ path: String) -> String {
        ProjectPath.relative(path, to: projectRoot)
    }
}
