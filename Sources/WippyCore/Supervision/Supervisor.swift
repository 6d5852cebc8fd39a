import Synchronization

/// Keeps services running: starts them, restarts failed ones with back-off, stops them in order.
///
/// Thread-safe. Each service has a ``ServiceStateMachine``; this class only carries out its actions.
public final class Supervisor: Sendable {
    private final class Record: @unchecked Sendable {
        // Guarded by the supervisor's lock.
        let id: EntryID
        let service: any SupervisedService
        let lifecycle: LifecycleConfig
        var machine: ServiceStateMachine
        /// Incremented per run, so a late `exited` of an old run is ignored.
        var run = 0
        var lastNotified: ServiceStatus?

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

    public var serviceIDs: [EntryID] { records.withLock { Array($0.keys).sorted() } }

    public func lifecycle(of id: EntryID) -> LifecycleConfig? { records.withLock { $0[id]?.lifecycle } }

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
        let action = records.withLock { _ -> ServiceStateMachine.Action? in
            guard record.run == run else { return nil }
            return record.machine.exited(exit, now: now)
        }
        if let action { perform(action, on: record) }
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
