/// Where a module pinned in the lock file is found in the vendor directory.
///
/// Looked up, in order, as `<vendor>/<org>/<module>` (directory), `<vendor>/<org>/<module>-<version>.wapp` and the
/// legacy `<vendor>/<org>/<module>-<version>/` directory. Entries of a directory module are loaded from its
/// `src/` subdirectory when there is one, else from its root. Packs and hub downloads are not supported yet,
/// so a `.wapp` or a missing module is an error.
struct VendoredModule {
    /// The pinned module.
    var module: LockedModule
    /// Absolute root of the tree to load the module's entries from.
    var treeRoot: String

    /// Finds `module` under `vendorDirectory`; `display` shortens paths for messages, `lockFile` is blamed.
    static func locate(
        _ module: LockedModule, vendorDirectory: String, lockFile: String, display: (String) -> String
    ) throws(ProjectError) -> VendoredModule {
        guard let parts = module.nameParts else {
            throw ProjectError("module name \"\(module.name)\" must have the form org/module", file: lockFile)
        }
        let organization = vendorDirectory + "/" + parts.organization
        let directory = organization + "/" + parts.module
        let pack = organization + "/" + parts.module + "-" + module.version + ".wapp"
        let legacy = organization + "/" + parts.module + "-" + module.version
        for candidate in [directory, legacy] where ProjectFileSystem.kind(of: candidate) == .directory {
            let source = candidate + "/src"
            let root = ProjectFileSystem.kind(of: source) == .directory ? source : candidate
            return VendoredModule(module: module, treeRoot: root)
        }
        let label = "module \(module.name) \(module.version)"
        if ProjectFileSystem.kind(of: pack) == .file {
            throw ProjectError(
                "\(label): found pack \(display(pack)), but .wapp packs are not supported yet; "
                    + "unpack it into \(display(directory))/", file: lockFile)
        }
        throw ProjectError(
            "\(label) is not vendored: looked for directory \(display(directory))/, pack \(display(pack)) "
                + "and directory \(display(legacy))/; downloading modules from the hub is not supported yet",
            file: lockFile)
    }
}
