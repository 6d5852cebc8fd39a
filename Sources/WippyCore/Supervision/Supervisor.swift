import Synchronization

/// Keeps services running: starts them, restarts failed ones with back-off, stops them in order.
///
/// Thread-safe. Each service has a ``ServiceStateMachine``; this class only carries out its actions.
public final class Supervisor: Sendable {
    private final class Record: @unchecked Sendable {
        // Guarded by the supervisor's lock.
        let id: EntryID
        var service: any SupervisedService
        var lifecycle: LifecycleConfig
        var machine: ServiceStateMachine
        /// Incremented per run, so a late `exited` of an old run is ignored.
        var run = 0
        var lastNotified: ServiceStatus?
        /// Start again (with the current service and lifecycle) once the running instance has stopped.
        var restartAfterStop = false
        /// Forget the service once it has stopped.
        var removeAfterStop = false
        /// The service and lifecycle to switch to once the running instance has stopped.
        var pendingReplacement: (service: any SupervisedService, lifecycle: LifecycleConfig)?

        init(id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
            self.id = id
            self.service = service
            self.lifecycle = lifecycle
            machine = ServiceStateMachine(policy: lifecycle.restart, stableThreshold: lifecycle.stableThreshold)
        }
    }

    private let records = Mutex<[EntryID: Record]>([:])
    private let timer: any SupervisorTimer
    private let observer: @Sendable (ServiceStateChange) -> Void

    public init(timer: any SupervisorTimer, observer: @escaping @Sendable (ServiceStateChange) -> Void = { _ in }) {
        self.timer = timer
        self.observer = observer
    }

    /// Adds a service (not started).
    public func register(_ id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
        records.withLock { $0[id] = Record(id: id, service: service, lifecycle: lifecycle) }
    }

    /// Replaces a service's implementation and lifecycle (its entry changed). A running service is stopped
    /// gracefully and started again with the new ones; a stopped one just keeps them for its next start.
    public func replace(_ id: EntryID, service: any SupervisedService, lifecycle: LifecycleConfig) {
        let (record, action) = records.withLock { records -> (Record?, ServiceStateMachine.Action) in
            guard let record = records[id] else {
                records[id] = Record(id: id, service: service, lifecycle: lifecycle)
                return (nil, .none)
            }
            let active = record.machine.status == .running || record.machine.status == .starting
                || record.machine.status == .stopping
            if !active {
                record.service = service
                record.lifecycle = lifecycle
                return (record, .none)
            }
            record.pendingReplacement = (service, lifecycle)
            record.restartAfterStop = true
            return (record, record.machine.stopRequested())
        }
        if let record { perform(action, on: record) }
    }

    /// Restarts a running service gracefully (its code changed); no effect on one that is not running.
    public func restart(_ id: EntryID) {
        let (record, action) = records.withLock { records -> (Record?, ServiceStateMachine.Action) in
            guard let record = records[id], record.machine.status == .running || record.machine.status == .starting else {
                return (nil, .none)
            }
            record.restartAfterStop = true
            return (record, record.machine.stopRequested())
        }
        if let record { perform(action, on: record) }
    }

    /// Stops a service gracefully and forgets it.
    public func remove(_ id: EntryID) {
        let (record, action) = records.withLock { records -> (Record?, ServiceStateMachine.Action) in
            guard let record = records[id] else { return (nil, .none) }
            let active = record.machine.status == .running || record.machine.status == .starting
                || record.machine.status == .stopping
            if !active {
                records[id] = nil
                return (nil, .none)
            }
            record.removeAfterStop = true
            record.restartAfterStop = false
            return (record, record.machine.stopRequested())
        }
        if let record { perform(action, on: record) }
    }

    public var serviceIDs: [EntryID] { records.withLock { Array($0.keys).sorted() } }

    public func lifecycle(of id: EntryID) -> LifecycleConfig? { records.withLock { $0[id]?.lifecycle } }

    /// The service object registered under `id`.
    public func service(_ id: EntryID) -> (any SupervisedService)? { records.withLock { $0[id]?.service } }

    /// Current state of every service.
    public func states() -> [ServiceStateChange] {
        records.withLock { records in
            records.values.map {
                ServiceStateChange(id: $0.id, status: $0.machine.status, details: $0.machine.details, retryCount: $0.machine.retryCount)
            }.sorted { $0.id < $1.id }
        }
    }

    public func status(of id: EntryID) -> ServiceStatus? { records.withLock { $0[id]?.machine.status } }

    /// Starts a service (no-op if already running or starting).
    public func start(_ id: EntryID) {
        let now = timer.now
        let (record, action) = records.withLock { records -> (Record?, ServiceStateMachine.Action) in
            guard let record = records[id] else { return (nil, .none) }
            return (record, record.machine.startRequested(now: now))
        }
        if let record { perform(action, on: record) }
    }

    /// Stops a service; returns after asking it (its run ends asynchronously).
    public func stop(_ id: EntryID) {
        let (record, action) = records.withLock { records -> (Record?, ServiceStateMachine.Action) in
            guard let record = records[id] else { return (nil, .none) }
            return (record, record.machine.stopRequested())
        }
        if let record { perform(action, on: record) }
    }

    // MARK: - Driving the machine

    private func perform(_ action: ServiceStateMachine.Action, on record: Record) {
        notify(record)
        switch action {
        case .none:
            return
        case .start:
            let run = records.withLock { _ -> Int in
                record.run += 1
                return record.run
            }
            record.service.start { [weak self] exit in self?.exited(record, run: run, exit) }
            let now = timer.now
            let next = records.withLock { _ in record.run == run ? record.machine.started(now: now) : .none }
            perform(next, on: record)
        case .scheduleRestart(let delay):
            timer.schedule(after: delay) { [weak self] in
                guard let self else { return }
                let now = self.timer.now
                let next = self.records.withLock { _ in record.machine.restartDue(now: now) }
                self.perform(next, on: record)
            }
        case .stop:
            record.service.stop(timeout: record.lifecycle.stopTimeout)
        }
    }

    private func exited(_ record: Record, run: Int, _ exit: ServiceStateMachine.Exit) {
        let now = timer.now
        let (action, followUp) = records.withLock { records -> (ServiceStateMachine.Action?, ServiceStateMachine.Action?) in
            guard record.run == run else { return (nil, nil) }
            let action = record.machine.exited(exit, now: now)
            guard record.machine.status == .stopped || record.machine.status == .exited || record.machine.status == .failed
            else { return (action, nil) }
            if record.removeAfterStop {
                if records[record.id] === record { records[record.id] = nil }
                return (action, nil)
            }
            if record.restartAfterStop {
                record.restartAfterStop = false
                if let replacement = record.pendingReplacement {
                    record.service = replacement.service
                    record.lifecycle = replacement.lifecycle
                    record.pendingReplacement = nil
                }
                return (action, record.machine.startRequested(now: now))
            }
            return (action, nil)
        }
        if let action { perform(action, on: record) }
        if let followUp { perform(followUp, on: record) }
    }

    private func notify(_ record: Record) {
        let change = records.withLock { _ -> ServiceStateChange? in
            guard record.lastNotified != record.machine.status, record.machine.status != .unknown else { return nil }
            record.lastNotified = record.machine.status
            return ServiceStateChange(
                id: record.id, status: record.machine.status, details: record.machine.details,
                retryCount: record.machine.retryCount)
        }
        if let change { observer(change) }
    }

    /// Waits until none of `ids` is starting, running or stopping, or until `timeout` passes.
    /// Returns the services still active.
    @discardableResult
    public func waitUntilInactive(_ ids: [EntryID], timeout: Duration) -> [EntryID] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let active = records.withLock { records in
                ids.filter { id in
                    guard let status = records[id]?.machine.status else { return false }
                    return status == .starting || status == .running || status == .stopping
                }
            }
            if active.isEmpty || ContinuousClock.now >= deadline { return active }
            PollingPause.sleepBriefly()
        }
    }
}
