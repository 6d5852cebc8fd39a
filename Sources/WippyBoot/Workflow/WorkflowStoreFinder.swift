public import WippyCore
public import WippyResources

/// Finds the workflow stores of a project the way the runtime picks them: the `store` of each
/// `workflow.host` entry, and the default file (`.wippy/workflows.db`) for hosts without one, for
/// `temporal.worker` entries (served by the embedded engine on the default store), and when the project has
/// no workflow host at all.
public enum WorkflowStoreFinder {
    /// The distinct stores, the default one first when it is used.
    ///
    /// - Throws: `Invalid` (or `NotFound`) naming the file and entry of a `workflow.host` whose settings or
    ///   `store` are wrong.
    public static func locations(
        entries: [Entry], projectRoot: String, environment: EnvironmentLookup = .process
    ) throws(WippyError) -> [WorkflowStoreLocation] {
        var byID: [EntryID: Entry] = [:]
        for entry in entries { byID[entry.id] = entry }
        var locations: [WorkflowStoreLocation] = []
        func add(_ location: WorkflowStoreLocation) {
            if !locations.contains(location) { locations.append(location) }
        }
        let hosts = entries.filter { $0.kind == WorkflowHostConfig.kind }.sorted { $0.id < $1.id }
        if hosts.isEmpty || entries.contains(where: { $0.kind == TemporalWorkerConfig.kind }) {
            add(.embedded(path: WorkflowStoreLocation.defaultPath(projectRoot: projectRoot)))
        }
        for host in hosts {
            do {
                let config = try WorkflowHostConfig(entry: host, environment: environment)
                add(try config.storeLocation(projectRoot: projectRoot, entry: { byID[$0] }, environment: environment))
            } catch {
                let place = host.origin.map { "\($0): " } ?? ""
                throw WippyError("\(place)entry \(host.id): \(error.message)", kind: error.kind, retryable: false)
            }
        }
        // The embedded file sorts first whatever added it.
        return locations.sorted { first, _ in if case .embedded = first { true } else { false } }
    }
}
