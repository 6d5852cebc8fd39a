import WippyCore
import WippyResources

extension Application {
    /// The handlers of resource entries opened on this machine: `fs.directory` (and the executors).
    static func localResourceKinds(resources: ResourceTable, supervisor: Supervisor, projectRoot: String) -> [ResourceKind] {
        let directories = ResourceKind(kinds: ["fs.directory"], resources: resources, supervisor: supervisor) {
            (entry: Entry) throws(WippyError) -> (opener: ResourceService.Opener, lifecycle: LifecycleConfig) in
            let config = try FSDirectoryConfig.decode(entry, projectRoot: projectRoot)
            let id = entry.id
            return ({ () throws(WippyError) -> any Resource in
                try FSDirectory(id: id, path: config.path, autoInit: config.autoInit, mode: config.mode)
            }, config.lifecycle)
        }
        let executors = ResourceKind(kinds: ["exec.native", "exec.docker"], resources: resources, supervisor: supervisor) {
            (entry: Entry) throws(WippyError) -> (opener: ResourceService.Opener, lifecycle: LifecycleConfig) in
            try ExecutorConfig.decode(entry, projectRoot: projectRoot)
        }
        return [directories, executors]
    }
}
