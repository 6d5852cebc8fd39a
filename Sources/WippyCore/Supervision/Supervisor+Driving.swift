import Synchronization

/// Carrying out decisions: every change goes through ``transaction(_:)``, which lets the planner react,
/// publishes what changed, and performs the resulting actions outside the lock.
extension Supervisor {
    func transaction(_ body: (inout State) -> [Effect]) {
        let (effects, ended) = state.withLock { state -> ([Effect], [@Sendable () -> Void]) in
            var effects = body(&state)
            publish(&state)
            effects += reconcile(&state)
            publish(&state)
            for (id, record) in state.records where record.removeAfterStop && !record.machine.isActive {
                state.records[id] = nil
            }
            return (effects, satisfiedWaiters(&state))
        }
        for effect in effects { perform(effect) }
        for notify in ended { notify() }
    }

    func effects(_ actions: [ServiceStateMachine.Action], on record: Record) -> [Effect] {
        actions.map { Effect(record: record, service: record.service, action: $0, lifecycle: record.machine.lifecycle) }
    }

    /// Applies the planner's decisions until it has none left.
    private func reconcile(_ state: inout State) -> [Effect] {
        let now = timer.now
        var effects: [Effect] = []
        while true {
            let services = state.records.mapValues {
                SupervisionPlanner.Service(
                    status: $0.machine.status, isActive: $0.machine.isActive, restartPending: $0.machine.restartPending,
                    startWanted: $0.startWanted, stopWanted: $0.stopWanted)
            }
            let decisions = planner.decide(graph: state.graph, services: services)
            if decisions.isEmpty { return effects }
            for decision in decisions {
                switch decision {
                case .start(let id):
                    guard let record = state.records[id] else { continue }
                    record.startWanted = false
                    effects += self.effects(record.machine.startRequested(now: now), on: record)
                case .stop(let id):
                    guard let record = state.records[id] else { continue }
                    record.stopWanted = false
                    effects += self.effects(record.machine.stopRequested(now: now), on: record)
                case .blocked(let id, let reason):
                    guard let record = state.records[id] else { continue }
                    record.startWanted = false
                    record.machine.blocked(reason, now: now)
                }
            }
        }
    }

    private func perform(_ effect: Effect) {
        let record = effect.record
        switch effect.action {
        case .start(let number):
            timer.schedule(after: effect.lifecycle.startTimeout) { [weak self] in
                guard let self else { return }
                let now = self.timer.now
                let random = self.random()
                self.transaction { _ in
                    self.effects(record.machine.startTimeoutElapsed(run: number, now: now, random: random), on: record)
                }
            }
            effect.service.start(run(number, of: record))
        case .stop(let number):
            timer.schedule(after: effect.lifecycle.stopTimeout) { [weak self] in
                guard let self else { return }
                let now = self.timer.now
                self.transaction { _ in self.effects(record.machine.stopTimeoutElapsed(run: number, now: now), on: record) }
            }
            effect.service.stop(run(number, of: record))
        case .terminate(let number):
            effect.service.terminate(run(number, of: record))
        case .scheduleRestart(let delay, let token):
            timer.schedule(after: delay) { [weak self] in
                guard let self else { return }
                let now = self.timer.now
                self.transaction { _ in self.effects(record.machine.restartDue(token: token, now: now), on: record) }
            }
        }
    }

    private func run(_ number: Int, of record: Record) -> ServiceRun {
        ServiceRun(number: number) { [weak self] report in self?.handle(report, of: number, on: record) }
    }

    private func handle(_ report: ServiceRun.Report, of run: Int, on record: Record) {
        let now = timer.now
        let random = self.random()
        transaction { _ in
            switch report {
            case .started:
                return effects(record.machine.started(run: run, now: now), on: record)
            case .exited(let exit):
                if record.machine.liveRun == run, let replacement = record.pendingReplacement {
                    record.pendingReplacement = nil
                    record.service = replacement.service
                    record.machine.reconfigure(replacement.lifecycle)
                }
                return effects(record.machine.exited(run: run, exit, now: now, random: random), on: record)
            case .details(let text):
                _ = record.machine.detailsReported(run: run, text)
                return []
            }
        }
    }

    /// Tells the observer about every service whose state changed since it was last told.
    private func publish(_ state: inout State) {
        for id in state.records.keys.sorted() {
            let record = state.records[id]!
            // Compared on the machine first: a full state (with its dependencies) only for what changed.
            let machine = record.machine
            if let last = record.lastPublished, last.status == machine.status, last.details == machine.details,
                last.desired == machine.desired, last.retryCount == machine.retryCount
            {
                continue
            }
            if record.lastPublished == nil, machine.status == .unknown { continue }
            let current = snapshot(record, graph: state.graph)
            let statusChanged = record.lastPublished?.status != current.status
            record.lastPublished = current
            observer(ServiceStateChange(state: current, statusChanged: statusChanged))
        }
    }

    func snapshot(_ record: Record, graph: ServiceGraph) -> ServiceState {
        let machine = record.machine
        return ServiceState(
            id: record.id, status: machine.status, desired: machine.desired, retryCount: machine.retryCount,
            details: machine.details, lastUpdate: machine.lastUpdate.map { timer.unixNanoseconds(at: $0) } ?? 0,
            startedAt: machine.status == .running ? machine.startedAt.map { timer.unixNanoseconds(at: $0) } : nil,
            dependencies: graph.dependencies(of: record.id),
            process: machine.status == .running ? record.service.runningProcess : nil)
    }
}

// MARK: - Introspection

extension Supervisor {
    /// The state of every service, sorted by ID.
    public func states() -> [ServiceState] {
        state.withLock { state in state.records.keys.sorted().map { snapshot(state.records[$0]!, graph: state.graph) } }
    }

    public func state(of id: EntryID) -> ServiceState? {
        state.withLock { state in state.records[id].map { snapshot($0, graph: state.graph) } }
    }

    public func status(of id: EntryID) -> ServiceStatus? { state.withLock { $0.records[id]?.machine.status } }

    /// The lifecycle of a service (the one it switches to, while a replacement waits for the old run to end).
    public func lifecycle(of id: EntryID) -> LifecycleConfig? {
        state.withLock { state in
            state.records[id].map { $0.pendingReplacement?.lifecycle ?? $0.machine.lifecycle }
        }
    }

    /// The service object registered under `id`.
    public func service(_ id: EntryID) -> (any SupervisedService)? { state.withLock { $0.records[id]?.service } }

    public var serviceIDs: [EntryID] { state.withLock { $0.records.keys.sorted() } }

    /// The dependency graph in use.
    public var graph: ServiceGraph { state.withLock { $0.graph } }

}
