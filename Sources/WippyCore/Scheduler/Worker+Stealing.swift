import DequeModule
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Work sharing between the workers of a host.
///
/// Children start on their parent's worker (``ProcessHost/pickWorker()``), so a worker that spawns a batch may hold
/// work its idle peers could do. An idle worker asks (``requestWork()``); a busy one answers between two
/// process runs (``serveWorkRequests()``) by handing over the later half of its processes that have not
/// started yet: a contiguous run of a spawn sequence, so most neighbours in a chain or a ring stay together.
/// Only not-yet-started processes move: a started one lives in its worker's Lua state.
///
/// The busy worker does the moving on its own thread, so its run queue needs no lock. What makes the move
/// safe for message order:
/// - The thief asks only when it has nothing to run, and runs nothing from its request until it is
///   withdrawn or answered, so all it sent to the busy worker's processes was posted before the request; the
///   busy worker claims the request (acquire) and then drains its inbox before moving anything, so those
///   messages are in the moved processes' mailboxes, which travel with them.
/// - Any other thread keeps posting to a moved process's home worker (``ProcessCell/postTarget(_:)``), which
///   forwards in the order it receives.
/// - Nothing moves twice, and nothing moves while a worker shuts down.
extension Worker {
    /// True when some peer published processes waiting to start.
    func peerHasPendingStarts() -> Bool {
        for peer in host.workers where peer !== self {
            if peer.publishedLoad.load(ordering: .relaxed) > 0 { return true }
        }
        return false
    }

    /// Asks the host's busy workers for processes to run (idle worker only; a no-op if already asked).
    func requestWork() {
        guard host.workers.count > 1, shutdownDeadline == nil, !stopping,
            stealState.load(ordering: .relaxed) == Steal.none
        else { return }
        // Releasing: whatever this worker posted before is visible to the peer that claims the request.
        stealState.store(Steal.requested, ordering: .releasing)
        host.workRequests.add(1, ordering: .relaxed)
    }

    /// Makes sure no peer is moving processes here before this worker runs anything: withdraws a request
    /// nobody claimed, or waits for the claimer's answer (it is between two process runs, moving a batch).
    func settleWorkRequest() {
        let (withdrawn, seen) = stealState.compareExchange(
            expected: Steal.requested, desired: Steal.none, ordering: .acquiringAndReleasing)
        if withdrawn {
            host.workRequests.subtract(1, ordering: .relaxed)
            return
        }
        var state = seen
        while state == Steal.claimed {
            sched_yield()
            state = stealState.load(ordering: .acquiring)
        }
        // Answered (or none): the moved processes, if any, were posted before the answer.
        stealState.store(Steal.none, ordering: .relaxed)
    }

    /// Answers the peers asking for work (worker thread only, between two process runs).
    func serveWorkRequests() {
        assertCurrent()
        guard shutdownDeadline == nil, !stopping else { return }
        for thief in host.workers where thief !== self {
            guard hasStartsToShare else { return }
            guard
                thief.stealState.compareExchange(
                    expected: Steal.requested, desired: Steal.claimed, ordering: .acquiringAndReleasing
                ).exchanged
            else { continue }
            host.workRequests.subtract(1, ordering: .relaxed)
            // What the thief sent before it asked goes into the mailboxes first (see the type's comment).
            inbox.drain { handle($0) }
            handleLocalEvents()
            let moved = shutdownDeadline == nil && !stopping ? takeStartsToMove(to: thief) : []
            if !moved.isEmpty { thief.inbox.post(.adopt(moved)) }
            thief.stealState.store(Steal.answered, ordering: .releasing)
        }
    }

    /// How many processes that cannot move a search for movable ones passes over at most.
    static let stealSearchLimit = 64

    /// Some processes waiting to start, and other work left here if they go (worker thread only).
    var hasStartsToShare: Bool { pendingStarts > 0 && runQueue.count >= 2 }

    /// Takes the later half of the not-yet-started processes out of the run queue (leaving this worker
    /// something to run), hands them to `thief` and returns them in run-queue order.
    ///
    /// Half, not more: a moved process never moves again, so a thief handed most of a burst keeps it while the
    /// giver may run dry (three quarters gave spawn_wait a more even split of CPU time between the two workers
    /// but a lower rate: about 399k against 439k procs/s, medians of 5 interleaved runs). The thief asks again
    /// when it runs out.
    private func takeStartsToMove(to thief: Worker) -> [ProcessCell] {
        guard index < Node.movableWorkers else { return [] }
        let wanted = min((pendingStarts + 1) / 2, runQueue.count - 1)
        guard wanted > 0 else { return [] }
        var taken: [ProcessCell] = []
        taken.reserveCapacity(wanted)
        // From the back, so the work is bounded by what moves (no pass over the whole queue): the later part of
        // a spawn burst is there. Processes that cannot move are put back in their order; a long run of them
        // ends the search.
        var kept: [ProcessCell] = []
        while taken.count < wanted, kept.count < Worker.stealSearchLimit, let process = runQueue.popLast() {
            // A starter is there only until the process first runs or ends: it has not started.
            if let starter = process.starter, !process.hasMoved, let movable = starter.relocatable(from: process) {
                process.starter = movable
                // The thief queues it again.
                process.isQueued = false
                taken.append(process)
            } else {
                kept.append(process)
            }
        }
        runQueue.append(contentsOf: kept.reversed())
        guard !taken.isEmpty else { return [] }
        taken.reverse()
        for process in taken { process.move(to: thief) }
        pendingStarts -= taken.count
        countProcesses(-taken.count)
        return taken
    }
}
