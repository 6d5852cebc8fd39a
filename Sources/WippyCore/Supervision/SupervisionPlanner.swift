/// Decides, from the dependency graph and what each service is doing, which services to start and which
/// to stop now. Pure: the ``Supervisor`` asks it after every change and carries out its decisions.
///
/// - A service waiting to start starts once every dependency is `running`, so services with no
///   dependency between them start together. It is *blocked* when a dependency will not come up (it
///   failed for good, exited, stopped, or is blocked itself), when it requires something that is not a
///   service, or when it is part of a dependency cycle.
/// - A service waiting to stop stops once no service that depends on it is still active, so shutdown
///   goes dependents first, level by level.
public struct SupervisionPlanner: Sendable {
    /// What the planner needs to know about one service.
    public struct Service: Sendable, Equatable {
        public var status: ServiceStatus
        /// A run is under way (starting, running, stopping).
        public var isActive: Bool
        /// A restart is scheduled: the service may still come up.
        public var restartPending: Bool
        /// A start was requested and waits for dependencies.
        public var startWanted: Bool
        /// A stop was requested and waits for dependents.
        public var stopWanted: Bool

        public init(status: ServiceStatus, isActive: Bool = false, restartPending: Bool = false, startWanted: Bool = false,
                    stopWanted: Bool = false) {
            self.status = status
            self.isActive = isActive
            self.restartPending = restartPending
            self.startWanted = startWanted
            self.stopWanted = stopWanted
        }
    }

    public enum Decision: Sendable, Equatable {
        case start(EntryID)
        case stop(EntryID)
        /// The service cannot start, for the reason given; its start request is dropped.
        case blocked(EntryID, String)
    }

    public init() {}

    /// The decisions for now, stops first, each group sorted by ID.
    public func decide(graph: ServiceGraph, services: [EntryID: Service]) -> [Decision] {
        var decisions: [Decision] = []
        for (id, service) in services.sorted(by: { $0.key < $1.key }) where service.stopWanted && service.isActive {
            let dependentsActive = graph.dependents(of: id).contains { services[$0]?.isActive == true }
            if !dependentsActive { decisions.append(.stop(id)) }
        }
        let waiting = Set(services.filter { $0.value.startWanted && !$0.value.stopWanted }.map(\.key))
        guard !waiting.isEmpty else { return decisions }
        var blocked: [EntryID: String] = [:]
        for cycle in graph.cycles(among: waiting) {
            let text = "blocked: dependency cycle " + cycle.map(\.description).joined(separator: " -> ")
            for id in cycle { blocked[id] = text }
        }
        // In dependency order, so a blocked dependency is known before its dependents are looked at.
        for level in graph.startLevels(of: waiting) {
            for id in level where blocked[id] == nil {
                if let missing = graph.blockers[id]?.first {
                    blocked[id] = "blocked: requires \(missing), which is not a service"
                    continue
                }
                var ready = true
                for need in graph.dependencies(of: id) {
                    guard let dependency = services[need] else {
                        blocked[id] = "blocked: dependency \(need) is not registered"
                        break
                    }
                    if dependency.status == .running, dependency.isActive, !dependency.stopWanted { continue }
                    ready = false
                    if blocked[need] != nil {
                        blocked[id] = "blocked: dependency \(need) is blocked"
                        break
                    }
                    let mayComeUp = dependency.isActive || dependency.restartPending
                        || (dependency.startWanted && !dependency.stopWanted)
                    if !mayComeUp {
                        blocked[id] = "blocked: dependency \(need) is \(dependency.status.rawValue)"
                        break
                    }
                }
                if blocked[id] == nil, ready { decisions.append(.start(id)) }
            }
        }
        for (id, reason) in blocked.sorted(by: { $0.key < $1.key }) { decisions.append(.blocked(id, reason)) }
        return decisions
    }
}
