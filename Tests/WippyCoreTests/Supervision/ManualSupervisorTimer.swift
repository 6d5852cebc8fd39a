import Synchronization
import WippyCore

/// A ``SupervisorTimer`` whose time only moves when a test advances it; due work runs on the test's thread.
final class ManualSupervisorTimer: SupervisorTimer {
    private struct Pending {
        let due: ContinuousClock.Instant
        let order: Int
        let action: @Sendable () -> Void
    }

    private let base = ContinuousClock.now
    private let state = Mutex<(offset: Duration, pending: [Pending], count: Int, delays: [Duration])>((.zero, [], 0, []))

    var now: ContinuousClock.Instant { base + state.withLock { $0.offset } }

    /// Every delay scheduled so far, in order.
    var scheduledDelays: [Duration] { state.withLock { $0.delays } }

    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.count += 1
            state.delays.append(delay)
            state.pending.append(Pending(due: base + state.offset + delay, order: state.count, action: action))
        }
    }

    /// Moves time forward by `step`, running the work that falls due, earliest first.
    func advance(by step: Duration) {
        let target = now + step
        while true {
            let next = state.withLock { state -> Pending? in
                guard let index = state.pending.indices.filter({ state.pending[$0].due <= target })
                    .min(by: { (state.pending[$0].due, state.pending[$0].order) < (state.pending[$1].due, state.pending[$1].order) })
                else { return nil }
                let item = state.pending.remove(at: index)
                state.offset = max(state.offset, item.due - base)
                return item
            }
            guard let next else { break }
            next.action()
        }
        state.withLock { $0.offset = target - base }
    }
}

/// A supervised service driven by the test: it records calls in a shared log and reports only what the
/// test (or its automatic behaviour) says.
final class FakeService: SupervisedService, @unchecked Sendable {
    let name: String
    let log: CallLog
    /// Report `started` as soon as a run starts.
    let startsAtOnce: Bool
    /// End the run normally when asked to stop.
    let stopsAtOnce: Bool
    private let runsLock = Mutex<[ServiceRun]>([])

    init(_ name: String, log: CallLog, startsAtOnce: Bool = true, stopsAtOnce: Bool = true) {
        self.name = name
        self.log = log
        self.startsAtOnce = startsAtOnce
        self.stopsAtOnce = stopsAtOnce
    }

    var lastRun: ServiceRun? { runsLock.withLock { $0.last } }
    var runCount: Int { runsLock.withLock { $0.count } }

    func start(_ run: ServiceRun) {
        runsLock.withLock { $0.append(run) }
        log.add("start \(name)")
        if startsAtOnce { run.started() }
    }

    func stop(_ run: ServiceRun) {
        log.add("stop \(name)")
        if stopsAtOnce { run.exited(.normal) }
    }

    func terminate(_ run: ServiceRun) {
        log.add("terminate \(name)")
        run.exited(.terminal("terminated"))
    }

    func crash(_ message: String = "boom") { lastRun?.exited(.failure(message)) }
    func reportStarted() { lastRun?.started() }
    func exit() { lastRun?.exited(.normal) }
}

final class CallLog: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
    func clear() { entries.withLock { $0 = [] } }
}
