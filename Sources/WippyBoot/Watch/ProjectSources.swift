import WippyCore

/// The files a loaded project is made of, as far as reloading goes: the lock file, the trees definition
/// files are loaded from (the source directory and each vendored module), and every file those definitions
/// read (the definition files themselves and their `file://` targets).
///
/// Decides which file changes call for a reload: the lock file, any definition file (`.yaml`, `.yml`,
/// `.json`) or directory in a tree, and any referenced file. Other files — editor swap files, backups, Lua
/// files nothing refers to — do not, except after a rejected reload, when any non-scratch file in a tree
/// may be the one that fixes it (a `file://` target created late, say).
public struct ProjectSources: Sendable, Equatable {
    /// Absolute project root.
    public var projectRoot: String
    /// Absolute path of the lock file (it may not exist).
    public var lockFile: String
    /// Absolute roots of the loaded trees.
    public var trees: [String]
    /// Absolute paths of the definition files and the files they inline.
    public var referenced: Set<String>

    public init(projectRoot: String, lockFile: String, trees: [String] = [], referenced: Set<String> = []) {
        self.projectRoot = ProjectPath.clean(projectRoot)
        self.lockFile = ProjectPath.clean(lockFile)
        self.trees = trees.map(ProjectPath.clean)
        self.referenced = referenced
    }

    /// The sources of a project just loaded by `loader`.
    public init(project: LoadedProject, loader: ProjectLoader) {
        self.init(lock: project.lockFile, loader: loader)
        for entry in project.entries {
            guard let origin = entry.origin else { continue }
            referenced.insert(absolute(origin.file))
            for file in origin.inlinedFiles.values { referenced.insert(absolute(file)) }
        }
    }

    /// The trees named by `lock` (none without a lock file), with nothing referenced yet.
    public init(lock: LockFile?, loader: ProjectLoader) {
        self.init(projectRoot: loader.projectRoot, lockFile: loader.lockFilePath)
        guard let lock else { return }
        trees.append(lock.resolvedSourceDirectory(lockFilePath: lockFile))
        let vendor = lock.resolvedVendorDirectory(lockFilePath: lockFile)
        for module in lock.normalizedModules {
            if let located = try? VendoredModule.locate(module, vendorDirectory: vendor, lockFile: lockFile, display: { $0 }) {
                trees.append(located.treeRoot)
            }
        }
    }

    /// What to watch: every tree, and the lock file's directory for the lock file itself.
    public var watchRoots: [FileWatcher.Root] {
        var roots = trees.map { FileWatcher.Root(path: $0, recursive: true) }
        roots.append(FileWatcher.Root(path: ProjectPath.directory(of: lockFile), recursive: false))
        return roots
    }

    /// Whether `change` calls for a reload; `afterRejection` when the last reload was rejected.
    public func isRelevant(_ change: WatchedChange, afterRejection: Bool = false) -> Bool {
        if change.path == lockFile { return true }
        guard trees.contains(where: { ProjectPath.isInside(change.path, root: $0) }) else { return false }
        if change.isDirectory || referenced.contains(change.path) { return true }
        let name = ProjectPath.lastComponent(of: change.path)
        if DefinitionFile.isDefinitionFile(name: name) { return true }
        return afterRejection && !ProjectSources.isScratchFile(name: name)
    }

    /// Names editors use for swap, backup and probe files.
    public static func isScratchFile(name: String) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("#") || name.hasSuffix("~") || name.hasSuffix(".swp")
            || name.hasSuffix(".swx") || name.hasSuffix(".tmp") || name.allSatisfy(\.isNumber)
    }

    /// `path` as shown in logs: relative to the project root when inside it.
    public func display(_ path: String) -> String { ProjectPath.relative(path, to: projectRoot) }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? ProjectPath.clean(path) : ProjectPath.join(projectRoot, path)
    }
}
