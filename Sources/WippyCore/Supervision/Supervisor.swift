import Synchronization

/// Keeps services running: starts them after their dependencies, restarts failed ones with back-off, stops
/// them dependents first.
///
/// Thread-safe. The decisions are made by pure types — a ``ServiceStateMachine`` per service and the
/// ``SupervisionPlanner`` over the ``ServiceGraph`` — and this class only carries out their actions: calls
/// on the services and timers on its ``SupervisorTimer`` (a manual one in tests).
public final class Supervisor: Sendable {
    final class Record: @unchecked Sendable {
        // Guarded by the supervisor's lock.
        let id: EntryID
        var service: any SupervisedService
        var machine: ServiceStateMachine
        /// The service and lifecycle to switch to once the running instance has stopped.
        var pendingReplacement: (service: any SupervisedService, lifecycle: LifecycleConfig)?
        var removeAfterStop = false
        var startWanted = false
        var stopWanted = false
        var lastPublished: ServiceState?

        init(id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
            self.id = id
            self.service = service
            machine = ServiceStateMachine(lifecycle: lifecycle)
        }
    }

    struct State {
        var records: [EntryID: Record] = [:]
        var graph = ServiceGraph()
        /// Who waits for services to end (``whenInactive(_:_:)``), checked after every transaction.
        var inactiveWaiters: [InactiveWaiter] = []
        var nextWaiterToken: UInt64 = 0
    }

    /// Work to carry out once the lock is released.
    struct Effect {
        let record: Record
        let service: any SupervisedService
        let action: ServiceStateMachine.Action
        let lifecycle: LifecycleConfig
    }

    let state = Mutex(State())
    let timer: any SupervisorTimer
    let random: @Sendable () -> Double
    let observer: @Sendable (ServiceStateChange) -> Void
    let planner = SupervisionPlanner()

    /// - Parameters:
    ///   - random: a number in [-1, 1] placing each restart delay within its jitter.
    ///   - observer: told about every change of a service's state, in order, while the supervisor's lock is
    ///     held (it must not call back into the supervisor).
    public init(
        timer: any SupervisorTimer, random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) },
        observer: @escaping @Sendable (ServiceStateChange) -> Void = { _ in }
    ) {
        self.timer = timer
        self.random = random
        self.observer = observer
    }

    // MARK: - Registration

    /// Adds a service (not started). A service already registered under `id` is replaced.
    public func register(_ id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
        replace(id, service: service, lifecycle: lifecycle)
    }

    /// What a registry kind does with a committed entry's service: ``replace(_:service:lifecycle:)`` when
    /// the entry was already supervised, else ``register(_:service:lifecycle:)``. Returns true when the new
    /// service should be started now (it is new and its lifecycle says `auto_start`).
    public func install(_ id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig, replacing: Bool) -> Bool {
        if replacing {
            replace(id, service: service, lifecycle: lifecycle)
            return false
        }
        register(id, service: service, lifecycle: lifecycle)
        return lifecycle.autoStart
    }

    /// Replaces a service's implementation and lifecycle (its entry changed). A running service is stopped
    /// gracefully and started again with the new ones once the old run has ended; an idle one just keeps
    /// them for its next start.
    public func replace(_ id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
        let now = timer.now
        transaction { state in
            guard let record = state.records[id] else {
                state.records[id] = Record(id: id, service: service, lifecycle: lifecycle)
                return []
            }
            record.removeAfterStop = false
            guard record.machine.isActive else {
                record.service = service
                record.machine.reconfigure(lifecycle)
                return []
            }
            record.pendingReplacement = (service, lifecycle)
            return self.restartActions(record, now: now)
        }
    }

    /// Restarts a running service gracefully (its code changed); no effect on one that is not running.
    public func restart(_ id: EntryID) {
        let now = timer.now
        transaction { state in
            guard let record = state.records[id], record.machine.isActive, record.machine.status != .stopping else { return [] }
            return self.restartActions(record, now: now)
        }
    }

    private func restartActions(_ record: Record, now: ContinuousClock.Instant) -> [Effect] {
        // Stopping, then asking for a start, makes the machine start a new run once the old one ended.
        let stop = record.machine.stopRequested(now: now)
        let start = record.machine.startRequested(now: now)
        return effects(stop + start, on: record)
    }

    /// Stops a service — after the services that depend on it — and forgets it.
    public func remove(_ id: EntryID) {
        let now = timer.now
        transaction { state in
            guard let record = state.records[id] else { return [] }
            record.removeAfterStop = true
            return self.requestStop(of: state.graph.dependentClosure(of: [id]), in: &state, now: now)
        }
    }

    /// Sets the dependency graph the starts and stops are ordered by.
    public func setGraph(_ graph: ServiceGraph) {
        transaction { state in
            state.graph = graph
            return []
        }
    }

    // MARK: - Starting and stopping

    /// Starts a service once everything it depends on runs, starting those too (even without `auto_start`).
    /// No effect on a service already under way.
    public func start(_ id: EntryID) { start([id]) }

    /// Starts services together: each starts once its dependencies run, independent ones in parallel.
    public func start(_ ids: [EntryID]) {
        if ids.isEmpty { return }
        transaction { state in
            for id in state.graph.dependencyClosure(of: ids) {
                guard let record = state.records[id], !record.machine.isActive, !record.machine.restartPending else { continue }
                record.startWanted = true
                record.stopWanted = false
            }
            return []
        }
    }

    /// Stops a service after the services that depend on it; returns at once (runs end asynchronously).
    public func stop(_ id: EntryID) {
        let now = timer.now
        transaction { state in self.requestStop(of: state.graph.dependentClosure(of: [id]), in: &state, now: now) }
    }

    /// Stops every service, dependents first, level by level; pending restarts are cancelled.
    public func stopAll() {
        let now = timer.now
        transaction { state in self.requestStop(of: Set(state.records.keys), in: &state, now: now) }
    }

    private func requestStop(of ids: Set<EntryID>, in state: inout State, now: ContinuousClock.Instant) -> [Effect] {
        var effects: [Effect] = []
        for id in ids.sorted() {
            guard let record = state.records[id] else { continue }
            record.startWanted = false
            if record.machine.isActive {
                record.stopWanted = true
            } else {
                effects += self.effects(record.machine.stopRequested(now: now), on: record)
            }
        }
        return effects
    }
}
