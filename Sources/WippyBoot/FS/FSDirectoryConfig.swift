import WippyCore
import WippyResources

/// What an `fs.directory` entry declares (lua-api-io §7.4): `directory` (required), `auto_init` (false),
/// `mode` (octal, `0755`) and `base` (`project`: paths from the project root; `module`: from the folder of
/// the entry's definition file).
struct FSDirectoryConfig: Sendable, Equatable {
    var path: String
    var autoInit: Bool
    var mode: Int
    var lifecycle: LifecycleConfig

    static func decode(_ entry: Entry, projectRoot: String) throws(WippyError) -> FSDirectoryConfig {
        let data = try ConfigFields(
            entry.data, path: "", allowed: ["directory", "auto_init", "mode", "base", "lifecycle"], environment: EnvEntryConfig.expanded)
        guard let directory = try data.string("directory"), !directory.isEmpty else {
            throw data.missing("directory", "the directory's path, relative to the project root")
        }
        let root = ProjectPath.absolute(projectRoot.isEmpty ? "." : projectRoot)
        let base: String
        switch try data.string("base") ?? "project" {
        case "project": base = root
        case "module":
            let file = entry.origin?.file ?? ""
            let folder = file.split(separator: "/").dropLast().joined(separator: "/")
            base = file.hasPrefix("/") ? "/" + folder : ProjectPath.join(root, folder)
        case let other: throw data.wrong("base", "\"project\" or \"module\"", .string(other))
        }
        var lifecycle = try LifecycleConfig(payload: data.value("lifecycle"), entry: entry.id)
        lifecycle.autoStart = true
        return FSDirectoryConfig(
            path: ProjectPath.join(base, directory), autoInit: try data.bool("auto_init") ?? false,
            mode: try EnvEntryConfig.mode(data, "mode", default: 0o755), lifecycle: lifecycle)
    }
}
