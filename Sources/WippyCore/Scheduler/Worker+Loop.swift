import DequeModule
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Worker {
    /// How many processes run between two looks at the inbox and the timers.
    static let batch = 32

    /// The worker thread's body.
    func runLoop() {
        assertCurrent()
        while true {
            // A peer moving processes here: nothing runs until they are in the inbox (see requestWork).
            if stealState.load(ordering: .relaxed) != Steal.none { settleWorkRequest() }
            if inbox.hasPending { inbox.drain { handle($0) } }
            handleLocalEvents()
            if stopping { break }
            fireDueTimers()
            publishedLoad.store(pendingStarts, ordering: .relaxed)
            if let deadline = shutdownDeadline, processCount == 0 || MonotonicClock.now() >= deadline {
                finishShutdown()
                continue
            }
            if !runQueue.isEmpty {
                if runQueue.count > Worker.retainedQueueCapacity { runQueueGrew = true }
                var ran = 0
                while ran < Worker.batch, let process = runQueue.popFirst() {
                    run(process)
                    handleLocalEvents()
                    // One load when nobody asks; a request is answered within one process's slice.
                    if hasStartsToShare, host.workRequests.load(ordering: .relaxed) > 0 { serveWorkRequests() }
                    ran += 1
                }
                if runQueueGrew && runQueue.isEmpty {
                    runQueue = Deque()
                    runQueueGrew = false
                }
                continue
            }
            if localEvents.isEmpty && !inbox.hasPending {
                var deadline = timers.earliest
                if let shutdown = shutdownDeadline { deadline = min(deadline ?? shutdown, shutdown) }
                awake.store(false, ordering: .relaxed)
                if peerHasPendingStarts() { requestWork() }
                if spinForWork(until: deadline) {
                    awake.store(true, ordering: .relaxed)
                    continue
                }
                // Asked before parking in any case: a peer that spawns a batch later answers it and so wakes this one.
                requestWork()
                inbox.park(until: deadline)
                awake.store(true, ordering: .relaxed)
            }
        }
    }

    /// How long an idle worker polls its inbox before parking: a message from another worker then costs no
    /// wake-up syscall on either side. Short, so an idle runtime still sleeps.
    static let spinNanoseconds: UInt64 = 50_000

    /// How long an idle worker polls while a nearby completion is due (``nearbyCompletions``): long enough
    /// to cover an SQLite commit's flush to the disk, which a FULL insert waits for (about 100-200 µs
    /// here). `WIPPY_NEARBY_SPIN_US` overrides it (0 turns it off), to measure.
    static let nearbySpinNanoseconds: UInt64 = {
        guard let raw = getenv("WIPPY_NEARBY_SPIN_US"), let micros = UInt64(String(cString: raw)) else { return 300_000 }
        return micros &* 1_000
    }()

    /// How long an idle worker polls while a database server's answer is due (``serverCompletions``) and a
    /// core stays free for the server (``serverSpinLeavesACore()``): a point query's round trip over
    /// loopback or a LAN (about 50-100 µs), with room; a slower query costs this much CPU, then a park.
    /// `WIPPY_SERVER_SPIN_US` overrides it (0 turns it off), to measure.
    static let serverSpinNanoseconds: UInt64 = {
        guard let raw = getenv("WIPPY_SERVER_SPIN_US"), let micros = UInt64(String(cString: raw)) else { return 200_000 }
        return micros &* 1_000
    }()

    /// The cores this program may run on, read once.
    static let cores: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Whether the nearby spin yields its core every few rounds (`WIPPY_NEARBY_SPIN_YIELD=0`: it does not).
    public static let nearbySpinYields: Bool = {
        guard let raw = getenv("WIPPY_NEARBY_SPIN_YIELD") else { return true }
        return String(cString: raw) != "0"
    }()

    /// Polls the inbox for a short while, only while something is expected to post to it soon: another
    /// worker of the host is at work (it is where a message would come from), a nearby completion is due
    /// (``nearbyCompletions``), or a database server's answer is due and a core stays free for the server
    /// (``serverCompletions``); true when work arrived (or the next timer is due).
    ///
    /// When every worker is idle and nothing nearby is due, what they wait for comes from outside (a busy
    /// database server, the network, a timer): spinning for it would take a core from whoever is producing
    /// it (on a small machine, the database server itself), so the worker parks at once.
    func spinForWork(until deadline: UInt64?) -> Bool {
        let nearbyLimit = Worker.nearbySpinNanoseconds
        var nearby = nearbyLimit != 0 && nearbyCompletions.load(ordering: .relaxed) > 0
        var server = !nearby && serverCompletions.load(ordering: .relaxed) > 0 && Worker.serverSpinNanoseconds != 0
            && serverSpinLeavesACore()
        guard nearby || server || peerIsBusy() else { return false }
        let start = MonotonicClock.now()
        let awaited = nearby ? nearbyLimit : server ? Worker.serverSpinNanoseconds : 0
        let limit = start &+ max(awaited, Worker.spinNanoseconds)
        var rounds = 0
        while true {
            if inbox.hasPending { return true }
            rounds &+= 1
            if rounds & 63 == 0 {
                let now = MonotonicClock.now()
                if let deadline, now >= deadline { return true }
                if now >= limit { return false }
                if nearby || server {
                    nearby = nearby && nearbyCompletions.load(ordering: .acquiring) > 0
                    server = server && serverCompletions.load(ordering: .acquiring) > 0
                    // On a machine with more runnable threads than cores the thread that will answer may be
                    // waiting for this very core: give it the chance (a no-op when nothing else is runnable).
                    if (nearby || server) && Worker.nearbySpinYields { sched_yield() }
                }
                // Without an answer due, only the short spin, and only while a peer works.
                if !nearby && !server && (now >= start &+ Worker.spinNanoseconds || !peerIsBusy()) {
                    return inbox.hasPending
                }
            }
        }
    }

    /// Whether polling for a server's answer still leaves the server a core for each request it is
    /// working on: the host's awaited server completions plus its workers polling for them (one per worker
    /// that awaits one) fit in the machine's cores. With two cores, one lone query polls; eight clients do
    /// not, since their server backends need every core (measured: polling there cost a fifth of the rate).
    func serverSpinLeavesACore() -> Bool {
        var awaited = 0
        var pollers = 0
        for worker in host.workers {
            let count = worker.serverCompletions.load(ordering: .relaxed)
            if count > 0 {
                awaited &+= count
                pollers &+= 1
            }
        }
        return awaited &+ pollers <= Worker.cores
    }

    /// Whether another worker of the host is running processes or has events waiting for it.
    private func peerIsBusy() -> Bool {
        for peer in host.workers where peer !== self {
            if peer.awake.load(ordering: .relaxed) || peer.inbox.hasPending { return true }
        }
        return false
    }

    /// Queues that grew past this many items during a burst are given fresh storage once they drain.
    static let retainedQueueCapacity = 1024

    func handleLocalEvents() {
        // Called after every process run: most of the time there is nothing (and popping an empty deque still
        // costs an optional's destruction through its metadata).
        if localEvents.isEmpty { return }
        var handled = 0
        while let event = localEvents.popFirst() {
            handle(event)
            handled &+= 1
        }
        if handled > Worker.retainedQueueCapacity { localEvents = Deque() }
    }

    private func fireDueTimers() {
        guard !timers.isEmpty else { return }
        let now = MonotonicClock.now()
        while let (cell, token) = timers.popDueRetained(now: now) {
            let fired = cell._withUnsafeGuaranteedRef { process in
                guard !process.isFinished, let behavior = process.behavior else { return false }
                return behavior.timerFired(process, token: token)
            }
            if fired { schedule(retained: cell) } else { cell.release() }
        }
    }

    /// Consuming, and switched on with `consume`: the payloads move out of the event (which the drain moved
    /// out of its node), so a delivered item is not copied (retained) here and destroyed by the caller.
    func handle(_ event: consuming WorkerEvent) {
        switch consume event {
        case .start(let process):
            startHere(process)
        case .adopt(let processes):
            countProcesses(processes.count)
            pendingStarts += processes.count
            for process in processes {
                schedule(process)
                if shutdownDeadline != nil { cancel(process, reason: "scheduler shutdown") }
            }
        case .deliver(let process, let item):
            // Posted to the home of a process that moved (``ProcessCell/postTarget(_:)``): passed on in order.
            let runner = process.worker
            guard runner === self else { return runner.post(.deliver(process, item)) }
            deliverHere(item, to: process)
        case .complete(let process, let token, let completion):
            let runner = process.worker
            guard runner === self else { return runner.post(.complete(process, token: token, completion)) }
            guard !process.isFinished, let behavior = process.behavior else { return }
            if behavior.completed(process, token: token, completion) { schedule(process) }
        case .terminate(let process, let result):
            let runner = process.worker
            guard runner === self else { return runner.post(.terminate(process, result)) }
            guard !process.isFinished else { return }
            finish(process, result)
        case .perform(let work):
            work(self)
        case .shutdown(let graceful):
            beginShutdown(deadline: graceful)
        case .stop:
            stopping = true
        }
    }

    /// Counts a new process here and queues its first run (worker thread only).
    func startHere(_ process: ProcessCell) {
        countProcesses(1)
        if process.starter != nil { pendingStarts += 1 }
        schedule(process)
        if shutdownDeadline != nil { cancel(process, reason: "scheduler shutdown") }
    }

    /// Runs one process once.
    private func run(_ process: ProcessCell) {
        process.isQueued = false
        guard !process.isFinished else { return }
        if process.behavior == nil {
            guard let starter = process.starter else { return }
            process.starter = nil
            pendingStarts -= 1
            do {
                process.behavior = try starter.makeBehavior(for: process)
            } catch {
                finish(process, .failure(error))
                return
            }
            // Items that arrived before the behaviour existed.
            if !process.mailbox.isEmpty { _ = process.behavior?.mailboxReceived(process) }
        }
        process.isRunning = true
        let outcome = process.behavior!.run(process)
        process.isRunning = false
        switch outcome {
        case .blocked: break
        case .runnable: schedule(process)
        case .finished(let result): finish(process, result)
        case .replace(let starter): replace(process, with: starter)
        }
    }

    /// Swaps a running process's behaviour for a new one (an upgrade), keeping the cell and its mailbox.
    private func replace(_ process: ProcessCell, with starter: any ProcessStarter) {
        process.behavior?.discard(process)
        process.behavior = nil
        do {
            process.behavior = try starter.makeBehavior(for: process)
        } catch {
            finish(process, .failure(error))
            return
        }
        if !process.mailbox.isEmpty { _ = process.behavior?.mailboxReceived(process) }
        schedule(process)
    }

    /// Ends a process: closes its behaviour and lets the node notify monitors, links and observers.
    func finish(_ process: ProcessCell, _ result: ProcessResult) {
        guard !process.isFinished else { return }
        process.isFinished = true
        process.clearMailbox()
        let behavior = process.behavior
        process.behavior = nil
        if let starter = process.starter {
            process.starter = nil
            pendingStarts -= 1
            starter.abandon(process)
        }
        behavior?.exited(process, result: result)
        behavior?.discard(process)
        countProcesses(-1)
        host.node.processExited(process, result: result)
    }

    private func cancel(_ process: ProcessCell, reason: String) {
        guard !process.isFinished else { return }
        process.appendToMailbox(.event(.cancel(from: nil, reason: reason)))
        if let behavior = process.behavior {
            if behavior.mailboxReceived(process) { schedule(process) }
        }
    }

    private func beginShutdown(deadline: UInt64) {
        shutdownDeadline = deadline
        for process in host.node.processes(on: self) { cancel(process, reason: "scheduler shutdown") }
    }

    private func finishShutdown() {
        for process in host.node.processes(on: self) where !process.isFinished {
            finish(process, .terminated)
        }
        shutdownDeadline = nil
        stopping = true
    }
}
