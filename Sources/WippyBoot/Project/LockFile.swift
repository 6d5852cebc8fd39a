import WippyCore
internal import Yams

/// The project's `wippy.lock`: where the sources and vendored modules are, and which module versions are pinned.
///
/// ```yaml
/// directories:
///     modules: .wippy
///     src: ./src
/// modules:
///     - name: acme/http
///       version: v1.2.0
///       hash: 4ea8...
/// options:
///     unpack_modules: true
/// ```
///
/// Directories are kept as written; ``resolvedSourceDirectory(lockFilePath:)`` and friends resolve them
/// against the lock file's directory. The deprecated `replacements` section is not read.
public struct LockFile: Sendable, Equatable {
    /// Source directory used when a lock omits `directories.src`.
    public static let defaultSourceDirectory = "."
    /// Source directory written by `wippy init`.
    public static let initSourceDirectory = "./src"
    /// Modules directory used when a lock omits `directories.modules` (and written by `wippy init`).
    public static let defaultModulesDirectory = ".wippy"
    /// The lock file's usual name.
    public static let defaultFileName = "wippy.lock"

    /// `directories.src`: the application source directory, scanned recursively.
    public var sourceDirectory: String
    /// `directories.modules`: the base of the vendor directory and other runtime state.
    public var modulesDirectory: String
    /// `modules`: the pinned modules.
    public var modules: [LockedModule]
    /// `options.unpack_modules`: extract `.wapp` packs into the vendor directory.
    public var unpackModules: Bool

    public init(
        sourceDirectory: String = LockFile.defaultSourceDirectory,
        modulesDirectory: String = LockFile.defaultModulesDirectory,
        modules: [LockedModule] = [],
        unpackModules: Bool = false
    ) {
        self.sourceDirectory = sourceDirectory
        self.modulesDirectory = modulesDirectory
        self.modules = modules
        self.unpackModules = unpackModules
    }

    /// The source directory as an absolute path, relative paths being taken from the lock file's directory.
    public func resolvedSourceDirectory(lockFilePath: String) -> String {
        ProjectPath.join(ProjectPath.directory(of: ProjectPath.absolute(lockFilePath)), sourceDirectory)
    }

    /// The modules directory as an absolute path, relative paths being taken from the lock file's directory.
    public func resolvedModulesDirectory(lockFilePath: String) -> String {
        ProjectPath.join(ProjectPath.directory(of: ProjectPath.absolute(lockFilePath)), modulesDirectory)
    }

    /// The vendor directory: `<modules>/vendor`, or the modules directory itself when it already ends in `vendor`.
    public func resolvedVendorDirectory(lockFilePath: String) -> String {
        let modules = resolvedModulesDirectory(lockFilePath: lockFilePath)
        return ProjectPath.lastComponent(of: modules) == "vendor" ? modules : modules + "/vendor"
    }

    /// Reads and validates a lock file; errors name `path` (or `displayPath`) and the line.
    public static func read(at path: String) throws(ProjectError) -> LockFile {
        try read(at: path, displayPath: path)
    }

    static func read(at path: String, displayPath: String) throws(ProjectError) -> LockFile {
        guard let bytes = ProjectFileSystem.contents(of: ProjectPath.absolute(path)) else {
            throw ProjectError("cannot read lock file", file: displayPath)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProjectError("lock file is not valid UTF-8", file: displayPath)
        }
        return try LockFileParser(file: displayPath).parse(text)
    }
}

/// Reads the node tree of a lock file into a ``LockFile``.
private struct LockFileParser {
    var file: String

    func parse(_ text: String) throws(ProjectError) -> LockFile {
        var lock = LockFile()
        guard let root = try YAMLPayloadDecoder.compose(text, file: file) else { return lock }
        let top = try mapping(root, "the lock file")
        if let directories = field(top, "directories"), !isNull(directories) {
            let map = try mapping(directories, "`directories`")
            if let src = try string(field(map, "src"), "`directories.src`"), !src.isEmpty { lock.sourceDirectory = src }
            if let modules = try string(field(map, "modules"), "`directories.modules`"), !modules.isEmpty {
                lock.modulesDirectory = modules
            }
        }
        if let modules = field(top, "modules"), !isNull(modules) {
            guard case .sequence(let items) = modules else {
                throw error("`modules` must be a list", modules)
            }
            for (index, item) in items.enumerated() {
                lock.modules.append(try module(item, index: index + 1))
            }
        }
        if let options = field(top, "options"), !isNull(options) {
            let map = try mapping(options, "`options`")
            if let unpack = field(map, "unpack_modules"), !isNull(unpack) {
                guard case .scalar(let scalar) = unpack, scalar.style == .plain || scalar.style == .any,
                    let value = YAMLScalarResolver.resolve(scalar.string).boolValue
                else { throw error("`options.unpack_modules` must be true or false", unpack) }
                lock.unpackModules = value
            }
        }
        return lock
    }

    private func module(_ node: YAMLNode, index: Int) throws(ProjectError) -> LockedModule {
        let map = try mapping(node, "`modules` item #\(index)")
        guard let name = try string(field(map, "name"), "`modules` item #\(index) `name`"), !name.isEmpty else {
            throw error("`modules` item #\(index) needs a non-empty `name`", node)
        }
        let module = LockedModule(
            name: name,
            version: try string(field(map, "version"), "module \(name) `version`") ?? "",
            hash: try string(field(map, "hash"), "module \(name) `hash`") ?? "",
            localHash: try string(field(map, "local_hash"), "module \(name) `local_hash`"))
        guard module.nameParts != nil else {
            throw error("module name \"\(name)\" must have the form org/module", node)
        }
        guard !module.version.isEmpty else {
            throw error("module \(name) needs a non-empty `version`", node)
        }
        return module
    }

    private func mapping(_ node: YAMLNode, _ what: String) throws(ProjectError) -> YAMLNode.Mapping {
        guard case .mapping(let mapping) = node else { throw error("\(what) must be a mapping", node) }
        return mapping
    }

    /// A scalar's text as written (yaml.v3 reads any scalar into a Go string field); `nil` when absent or null.
    private func string(_ node: YAMLNode?, _ what: String) throws(ProjectError) -> String? {
        guard let node, !isNull(node) else { return nil }
        guard case .scalar(let scalar) = node else { throw error("\(what) must be a string", node) }
        return scalar.string
    }

    /// The value of the last pair whose key is the scalar `key` (the key that wins in YAML).
    private func field(_ map: YAMLNode.Mapping, _ key: String) -> YAMLNode? {
        map.reversed().first { $0.key.scalar?.string == key }?.value
    }

    private func isNull(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return YAMLScalarResolver.resolve(scalar.string).isNull
    }

    private func error(_ message: String, _ node: YAMLNode) -> ProjectError {
        ProjectError(message, file: file, line: node.mark?.line)
    }
}
