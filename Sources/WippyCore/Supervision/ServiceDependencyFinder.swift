public import HashTreeCollections

/// Works out the ``ServiceGraph`` of the registered services from their entries.
///
/// A service's references are its lifecycle `requires`/`depends_on` plus every reference its entry holds
/// (the ``DependencyResolver`` patterns). A reference to a registered service is a direct dependency; a
/// reference to anything else is followed through that entry's own references until services are found
/// (a `process.service` names a `process.host`; a consumer names a queue that names a driver). A lifecycle
/// reference that leads to no service is a blocker; other references that lead nowhere are ignored.
public struct ServiceDependencyFinder: Sendable {
    public let resolver: DependencyResolver

    public init(resolver: DependencyResolver = DependencyResolver()) {
        self.resolver = resolver
    }

    /// - Parameters:
    ///   - services: each registered service with its (resolved) lifecycle requirements.
    ///   - entries: the registry state.
    ///   - previous: the graph found before; services whose entry is gone (being removed) keep their edges.
    public func graph(services: [EntryID: [EntryID]], entries: RegistryEntries, previous: ServiceGraph = ServiceGraph())
        -> ServiceGraph
    {
        var dependencies: [EntryID: [EntryID]] = [:]
        var blockers: [EntryID: [EntryID]] = [:]
        for (id, requires) in services {
            var found = Set<EntryID>()
            for reference in requires where reference != id {
                let reached = services[reference] != nil ? [reference] : servicesReached(from: reference, services, entries)
                if reached.isEmpty { blockers[id, default: []].append(reference) }
                found.formUnion(reached)
            }
            if let entry = entries[id] {
                for reference in resolver.dependencies(of: entry, in: entries) {
                    found.formUnion(services[reference] != nil ? [reference] : servicesReached(from: reference, services, entries))
                }
            } else {
                found.formUnion(previous.dependencies(of: id).filter { services[$0] != nil })
            }
            found.remove(id)
            dependencies[id] = found.sorted()
        }
        return ServiceGraph(dependencies: dependencies, blockers: blockers)
    }

    /// Services found by following references from the non-service entry `start`.
    private func servicesReached(from start: EntryID, _ services: [EntryID: [EntryID]], _ entries: RegistryEntries) -> Set<EntryID> {
        var found = Set<EntryID>()
        var seen: Set<EntryID> = [start]
        var stack = [start]
        while let id = stack.popLast() {
            guard let entry = entries[id] else { continue }
            for reference in resolver.dependencies(of: entry, in: entries) where seen.insert(reference).inserted {
                if services[reference] != nil { found.insert(reference) } else { stack.append(reference) }
            }
        }
        return found
    }
}
