import Dispatch
import Foundation
import Logging
import Synchronization
import WippyCore

/// Decides which runs an engine holds in memory, on a thread of its own (it waits on the store, never on a
/// worker): at boot it resumes the runs that need a node; then, every poll interval or when woken, it
///
/// - resumes parked runs whose timer is due, or that got a signal (a store row) while out of memory;
/// - on a shared store (``WorkflowLeaseStore``), claims runs no live node holds (a killed node's runs, once
///   their leases expire), renews this node's leases, and makes runs it lost leave memory;
/// - wakes runs in memory here that got store signals from other nodes.
final class WorkflowResidency: @unchecked Sendable {
    private unowned let engine: WorkflowEngine
    private let signals: (any WorkflowSignalStore)?
    private let wakeup = DispatchSemaphore(value: 0)
    private struct State {
        var stopped = false
        /// Workflows with new store signals.
        var woken: Set<String> = []
    }
    private let state = Mutex(State())
    private var thread: Thread?
    private var listener: Task<Void, Never>?
    private let done = DispatchSemaphore(value: 0)

    /// How many runs one claim or one wake query takes at most.
    static let batch = 500
    /// How often (nanoseconds) pending signals are swept for runs no hint woke.
    static let sweepEvery: Int64 = 5_000_000_000

    init(engine: WorkflowEngine) {
        self.engine = engine
        signals = engine.store as? any WorkflowSignalStore
    }

    /// Resumes what needs a node now, then keeps watching; `completion` gets how many runs the first pass
    /// resumed (or the store's error).
    func start(completion: @escaping @Sendable (Result<Int, WippyError>) -> Void) {
        if let signals {
            let stream = signals.wakeups()
            listener = Task.detached { [weak self] in
                for await hint in stream {
                    guard let self else { return }
                    self.woken(hint.workflowID)
                }
            }
        }
        let thread = Thread { [self] in
            let first = pass(initial: true)
            completion(first)
            if case .failure = first {
                done.signal()
                return
            }
            loop()
            done.signal()
        }
        thread.name = "wippy-workflow-residency"
        self.thread = thread
        thread.start()
    }

    /// Stops watching (the host is stopping); returns once the thread has ended.
    func stop() {
        let running = state.withLock { state -> Bool in
            defer { state.stopped = true }
            return !state.stopped
        }
        listener?.cancel()
        guard running, thread != nil else { return }
        wakeup.signal()
        if Thread.current != thread { _ = done.wait(timeout: .now() + 30) }
    }

    /// Workflow `id` has new store signals.
    func woken(_ id: String) {
        state.withLock { _ = $0.woken.insert(id) }
        wakeup.signal()
    }

    /// Something changed (a run left memory): look again now.
    func wake() { wakeup.signal() }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func loop() {
        let interval = engine.settings.pollInterval
        let intervalNanos = Self.nanoseconds(interval)
        let renewEvery = Self.nanoseconds(engine.settings.lease) / 3
        var lastRenew = DispatchTime.now().uptimeNanoseconds
        var lastSweep = lastRenew
        while !isStopped {
            // Until the next poll, or the earliest timer of a run out of memory, whichever comes first.
            var wait = intervalNanos
            if let next = nextDue() {
                let untilNext = (next - Int64(Date().timeIntervalSince1970 * 1000)) * 1_000_000
                wait = max(min(wait, untilNext), 1_000_000)
            }
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(wait)))
            if isStopped { break }
            // Hints can be lost (a dropped connection, a start racing the subscription): now and then, every
            // workflow with pending signals is looked at as if it had been hinted.
            let now = DispatchTime.now().uptimeNanoseconds
            if now - lastSweep >= UInt64(Self.sweepEvery), let signals,
                case .success(let ids) = waitForCompletion({ signals.signaledWorkflows(limit: Self.batch, completion: $0) })
            {
                lastSweep = now
                state.withLock { $0.woken.formUnion(ids) }
            }
            if engine.leaseStore != nil, DispatchTime.now().uptimeNanoseconds - lastRenew >= UInt64(renewEvery) {
                lastRenew = DispatchTime.now().uptimeNanoseconds
                renew()
            }
            _ = pass(initial: false)
        }
    }

    /// One look at the store; the number of runs resumed.
    private func pass(initial: Bool) -> Result<Int, WippyError> {
        var resumed = 0
        // Signals for runs in memory here wake their sessions; the others are resumed (or claimed) below.
        let woken = state.withLock { state -> Set<String> in
            defer { state.woken = [] }
            return state.woken
        }
        var away: [String] = []
        for id in woken where !engine.poke(id) {
            if engine.residents.withLock({ $0[id]?.leaving ?? false }) {
                // Still leaving memory: looked at again once it is gone.
                state.withLock { _ = $0.woken.insert(id) }
            } else {
                away.append(id)
            }
        }
        // How far ahead a parked run is taken now: at boot, every run a live node would still hold in memory
        // (due within the eviction time; all of them when runs are never evicted).
        // Otherwise only what is due (the loop wakes at the next timer), or a little ahead on a shared store,
        // which is polled.
        var horizon: Int64 = engine.leaseStore == nil ? 1 : min(Self.nanoseconds(engine.settings.pollInterval), (engine.evictAfter ?? Int64.max) / 2) / 1_000_000
        if initial { horizon = engine.evictAfter.map { max(horizon, $0 / 1_000_000) } ?? Int64.max / 2 }
        let before = Int64(Date().timeIntervalSince1970 * 1000) &+ horizon
        if let leaseStore = engine.leaseStore {
            while !isStopped {
                let claimed = waitForCompletion { leaseStore.claim(
                    node: self.engine.leaseOwner, host: self.engine.hostID, limit: Self.batch, lease: self.engine.settings.lease,
                    readyWithin: .milliseconds(horizon), completion: $0) }
                switch claimed {
                case .failure(let error):
                    if initial { return .failure(error) }
                    engine.logger.warning("workflow host \(engine.hostID): cannot claim runs: \(error.message)")
                    return .success(resumed)
                case .success(let claims):
                    for claim in claims {
                        if engine.resume(claim.record, fence: claim.fence) {
                            resumed += 1
                        } else {
                            // Held here already (a claim after this node's lease expired): keep the new fence.
                            engine.residents.withLock { residents in
                                if residents[claim.record.run.workflowID]?.run == claim.record.run {
                                    residents[claim.record.run.workflowID]?.fence = claim.fence
                                }
                            }
                        }
                    }
                    if claims.count < Self.batch { return .success(resumed) }
                }
            }
            return .success(resumed)
        }
        guard let signals else {
            guard initial else { return .success(0) }
            // A store without timer and signal rows: every unfinished run resumes at boot.
            switch waitForCompletion({ self.engine.store.list(statuses: [.running], limit: .max, completion: $0) }) {
            case .failure(let error): return .failure(error)
            case .success(let records):
                for record in records where engine.isOwnHost(record) && engine.resume(record, fence: nil) { resumed += 1 }
                return .success(resumed)
            }
        }
        var ids: [String]? = nil
        if !initial {
            // Due timers (an indexed read) and woken workflows; the full look is for the boot.
            switch waitForCompletion({ signals.dueRuns(before: before, limit: Self.batch, completion: $0) }) {
            case .failure(let error):
                engine.logger.warning("workflow host \(engine.hostID): cannot read due runs: \(error.message)")
                return .success(0)
            case .success(let due):
                let resident = engine.residents.withLock { residents in Set(residents.keys) }
                ids = due.map(\.run.workflowID).filter { !resident.contains($0) } + away
            }
            if ids?.isEmpty ?? true { return .success(0) }
        }
        switch waitForCompletion({ signals.readyRuns(before: before, workflowIDs: ids, limit: .max, completion: $0) }) {
        case .failure(let error):
            if initial { return .failure(error) }
            engine.logger.warning("workflow host \(engine.hostID): cannot read ready runs: \(error.message)")
        case .success(let records):
            for record in records where engine.isOwnHost(record) && engine.resume(record, fence: nil) { resumed += 1 }
        }
        return .success(resumed)
    }

    /// The earliest wake time (Unix milliseconds) of a run of a single-node store that is out of memory.
    private func nextDue() -> Int64? {
        guard engine.leaseStore == nil, let signals else { return nil }
        guard case .success(let due) = waitForCompletion({ signals.dueRuns(before: Int64.max - 1, limit: 64, completion: $0) }) else { return nil }
        let resident = engine.residents.withLock { residents in Set(residents.keys) }
        return due.first { !resident.contains($0.run.workflowID) }?.wakeAt
    }

    /// Renews this node's leases; the runs it lost leave memory.
    private func renew() {
        guard let leaseStore = engine.leaseStore else { return }
        let held = engine.residents.withLock { residents -> [WorkflowRunID: WorkflowFence] in
            var held: [WorkflowRunID: WorkflowFence] = [:]
            for resident in residents.values { if let fence = resident.fence { held[resident.run] = fence } }
            return held
        }
        guard !held.isEmpty else { return }
        switch waitForCompletion({ leaseStore.renew(node: self.engine.leaseOwner, held, lease: self.engine.settings.lease, completion: $0) }) {
        case .success(let lost): if !lost.isEmpty { engine.lost(lost) }
        case .failure(let error):
            engine.logger.warning("workflow host \(engine.hostID): cannot renew its leases: \(error.message)")
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
