import HashTreeCollections
import WippyCore

/// The entries a service graph was computed from: the supervised entries, everything reached from them
/// through references, and every ID those entries name, existing or not (creating it would add an edge).
/// A `group:` or `ns:` reference can take in any entry, so it makes every change count.
///
/// Lets a registry commit skip recomputing the graph when it changed none of these entries (most commits of
/// data and code do not).
struct GraphWatch {
    private var ids: Set<EntryID> = []
    private var everything = false

    init() {}

    init(services: [EntryID], requires: [EntryID: [EntryID]], entries: RegistryEntries, resolver: DependencyResolver) {
        ids = Set(services)
        var stack = services
        for required in requires.values.joined() where ids.insert(required).inserted { stack.append(required) }
        while let id = stack.popLast() {
            guard let entry = entries[id] else { continue }
            for reference in resolver.references(of: entry) {
                if reference.hasPrefix("group:") || reference.hasPrefix("ns:") {
                    everything = true
                    continue
                }
                let target = EntryID.resolve(reference, in: entry.id.namespace)
                if ids.insert(target).inserted { stack.append(target) }
            }
        }
    }

    /// Whether a change of `id` can change the graph.
    func covers(_ id: EntryID) -> Bool { everything || ids.contains(id) }
}
