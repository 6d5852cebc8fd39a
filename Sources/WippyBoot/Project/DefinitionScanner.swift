/// Finds the definition files of a loaded tree.
///
/// The tree is walked recursively in byte order of names (as Go's `filepath.WalkDir` does); files with a
/// ``DefinitionFile/extensions`` extension are returned. Directories named `node_modules` and hidden
/// directories (`.wippy`, `.git`, ...) are skipped, and symbolic links to directories are not followed.
public enum DefinitionScanner {
    /// Directory names that are never entered.
    public static let skippedDirectoryNames: Set<String> = ["node_modules"]

    /// Whether a directory with this name is skipped.
    public static func skipsDirectory(named name: String) -> Bool {
        name.hasPrefix(".") || skippedDirectoryNames.contains(name)
    }

    /// Absolute paths of the definition files under `root`, in walk order.
    public static func definitionFiles(under root: String) throws(ProjectError) -> [String] {
        var found: [String] = []
        try walk(ProjectPath.clean(root), into: &found)
        return found
    }

    private static func walk(_ directory: String, into found: inout [String]) throws(ProjectError) {
        for name in try ProjectFileSystem.sortedNames(in: directory) {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            if ProjectFileSystem.isRealDirectory(path) {
                if !skipsDirectory(named: name) { try walk(path, into: &found) }
            } else if DefinitionFile.isDefinitionFile(name: name), ProjectFileSystem.kind(of: path) == .file {
                found.append(path)
            }
        }
    }
}
