/// Which services need which: the edges the supervisor orders starts and stops by.
///
/// An edge `a → b` means `a` depends on `b`: `b` must be running before `a` starts, and `a` must have
/// stopped before `b` stops. A *blocker* is a required reference that leads to no service: the service that
/// has one cannot start.
public struct ServiceGraph: Sendable, Equatable {
    /// Direct service dependencies of each service.
    public private(set) var dependencies: [EntryID: [EntryID]]
    /// Required references of each service that lead to no service.
    public private(set) var blockers: [EntryID: [EntryID]]
    private var dependentsTable: [EntryID: [EntryID]] = [:]

    public init(dependencies: [EntryID: [EntryID]] = [:], blockers: [EntryID: [EntryID]] = [:]) {
        self.dependencies = dependencies.mapValues { Array(Set($0)).sorted() }
        self.blockers = blockers.filter { !$0.value.isEmpty }
        for (id, needs) in self.dependencies {
            for need in needs { dependentsTable[need, default: []].append(id) }
        }
        dependentsTable = dependentsTable.mapValues { $0.sorted() }
    }

    public func dependencies(of id: EntryID) -> [EntryID] { dependencies[id] ?? [] }

    /// The services that depend directly on `id`.
    public func dependents(of id: EntryID) -> [EntryID] { dependentsTable[id] ?? [] }

    /// `roots` and everything they need, transitively.
    public func dependencyClosure(of roots: some Sequence<EntryID>) -> Set<EntryID> {
        closure(of: roots) { dependencies(of: $0) }
    }

    /// `roots` and everything that needs them, transitively.
    public func dependentClosure(of roots: some Sequence<EntryID>) -> Set<EntryID> {
        closure(of: roots) { dependents(of: $0) }
    }

    private func closure(of roots: some Sequence<EntryID>, next: (EntryID) -> [EntryID]) -> Set<EntryID> {
        var seen = Set<EntryID>()
        var stack = Array(roots)
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            stack.append(contentsOf: next(id))
        }
        return seen
    }

    /// The dependency cycles among `members` (edges leaving `members` are ignored), each as a path that
    /// returns to its first element, e.g. `[a, b, a]`. Sorted, one per strongly connected component.
    public func cycles(among members: Set<EntryID>) -> [[EntryID]] {
        var found: [[EntryID]] = []
        var done = Set<EntryID>()
        for start in members.sorted() where !done.contains(start) {
            // Depth-first search keeping the current path; a back edge closes a cycle.
            var path: [EntryID] = []
            var onPath = Set<EntryID>()
            var stack: [(EntryID, [EntryID])] = [(start, edges(start, members))]
            path.append(start)
            onPath.insert(start)
            while !stack.isEmpty {
                let top = stack.count - 1
                guard let next = stack[top].1.first else {
                    let (id, _) = stack.removeLast()
                    done.insert(id)
                    onPath.remove(id)
                    path.removeLast()
                    continue
                }
                stack[top].1.removeFirst()
                if onPath.contains(next) {
                    let cycle = Array(path[path.firstIndex(of: next)!...]) + [next]
                    if !found.contains(where: { Set($0) == Set(cycle) }) { found.append(cycle) }
                } else if !done.contains(next) {
                    path.append(next)
                    onPath.insert(next)
                    stack.append((next, edges(next, members)))
                }
            }
        }
        return found
    }

    private func edges(_ id: EntryID, _ members: Set<EntryID>) -> [EntryID] {
        dependencies(of: id).filter { members.contains($0) }
    }

    /// `members` in groups that can stop together, dependents first: each group only needs the groups
    /// before it to have stopped (edges leaving `members` are ignored; services in a cycle share a group).
    public func stopLevels(of members: Set<EntryID>) -> [[EntryID]] {
        startLevels(of: members).reversed()
    }

    /// `members` in groups that can start together, dependencies first (edges leaving `members` are
    /// ignored; services left in a cycle form the last group).
    public func startLevels(of members: Set<EntryID>) -> [[EntryID]] {
        var remaining = members
        var levels: [[EntryID]] = []
        while !remaining.isEmpty {
            let ready = remaining.filter { id in dependencies(of: id).allSatisfy { !remaining.contains($0) } }
            if ready.isEmpty {
                levels.append(remaining.sorted())
                break
            }
            levels.append(ready.sorted())
            remaining.subtract(ready)
        }
        return levels
    }
}
