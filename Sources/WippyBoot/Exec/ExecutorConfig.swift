import WippyCore
import WippyResources

/// What an `exec.native` or `exec.docker` entry declares (lua-api-io §8.9). Docker's container settings
/// are accepted (so real projects load) but unused: this runtime runs no containers.
enum ExecutorConfig {
    static let nativeKeys: Set<String> = ["default_work_dir", "default_env", "command_whitelist", "lifecycle"]
    static let dockerKeys: Set<String> = nativeKeys.union([
        "image", "host", "network_mode", "volumes", "user", "memory_limit", "cpu_quota", "auto_remove", "read_only_rootfs",
        "no_new_privileges", "cap_drop", "cap_add", "pids_limit", "tmpfs",
    ])

    /// Decodes the entry into what opens its executor.
    static func decode(_ entry: Entry, projectRoot: String) throws(WippyError) -> (opener: ResourceService.Opener, lifecycle: LifecycleConfig) {
        let docker = entry.kind == "exec.docker"
        let data = try ConfigFields(
            entry.data, path: "", allowed: docker ? dockerKeys : nativeKeys, environment: EnvEntryConfig.expanded)
        let root = ProjectPath.absolute(projectRoot.isEmpty ? "." : projectRoot)
        let workDir = try data.string("default_work_dir").map { ProjectPath.join(root, $0) }
        let environment = try data.textMap("default_env")
        var whitelist: Set<String> = []
        if let list = data.value("command_whitelist") {
            guard let table = list.tableValue, table.fields.isEmpty else { throw data.wrong("command_whitelist", "a list of commands", list) }
            for (index, item) in table.array.enumerated() {
                guard let text = item.stringValue else {
                    throw WippyError.invalid("'command_whitelist[\(index + 1)]' must be text (got \(ConfigFields.describe(item)))")
                }
                whitelist.insert(text)
            }
        }
        var lifecycle = try LifecycleConfig(payload: data.value("lifecycle"), entry: entry.id)
        lifecycle.autoStart = true
        let id = entry.id
        if docker {
            guard let image = try data.string("image"), !image.isEmpty else { throw data.missing("image", "the container image") }
            let host = try data.string("host")
            return ({ () throws(WippyError) -> any Resource in DockerExecutor(id: id, image: image, host: host) }, lifecycle)
        }
        let allowed = whitelist
        return ({ () throws(WippyError) -> any Resource in
            NativeExecutor(id: id, defaultWorkDir: workDir, defaultEnvironment: environment, whitelist: allowed)
        }, lifecycle)
    }
}
