import Dispatch
import Synchronization

/// Waiting for services to end, on events rather than by polling: every supervisor transaction (a run
/// started, exited, a stop requested) looks at the waiters and notifies those whose services are all idle.
extension Supervisor {
    struct InactiveWaiter {
        let token: UInt64
        let ids: [EntryID]
        let notify: @Sendable () -> Void
    }

    /// Calls `notify` once none of `ids` has a run under way: at once when that is already so, else on the
    /// thread of the transaction that ends the last run. Returns a token for ``cancelWait(_:)``.
    @discardableResult
    public func whenInactive(_ ids: [EntryID], _ notify: @escaping @Sendable () -> Void) -> UInt64 {
        let token = state.withLock { state -> UInt64? in
            if Supervisor.active(ids, in: state).isEmpty { return nil }
            state.nextWaiterToken += 1
            state.inactiveWaiters.append(InactiveWaiter(token: state.nextWaiterToken, ids: ids, notify: notify))
            return state.nextWaiterToken
        }
        guard let token else {
            notify()
            return 0
        }
        return token
    }

    /// Forgets a waiter registered by ``whenInactive(_:_:)`` (it will not be notified).
    public func cancelWait(_ token: UInt64) {
        state.withLock { state in state.inactiveWaiters.removeAll { $0.token == token } }
    }

    /// The services among `ids` with a run under way.
    public func active(_ ids: [EntryID]) -> [EntryID] { state.withLock { Supervisor.active(ids, in: $0) } }

    static func active(_ ids: [EntryID], in state: State) -> [EntryID] {
        ids.filter { state.records[$0]?.machine.isActive == true }
    }

    /// Removes and returns the notifications of waiters whose services are all idle (caller holds the lock).
    func satisfiedWaiters(_ state: inout State) -> [@Sendable () -> Void] {
        guard !state.inactiveWaiters.isEmpty else { return [] }
        var ready: [@Sendable () -> Void] = []
        var waiting: [InactiveWaiter] = []
        for waiter in state.inactiveWaiters {
            if Supervisor.active(waiter.ids, in: state).isEmpty { ready.append(waiter.notify) } else { waiting.append(waiter) }
        }
        state.inactiveWaiters = waiting
        return ready
    }

    /// Blocks the caller until none of `ids` has a run under way, or until `timeout` passes. Returns the
    /// services still active.
    @discardableResult
    public func waitUntilInactive(_ ids: [EntryID], timeout: Duration) -> [EntryID] {
        let ended = DispatchSemaphore(value: 0)
        let token = whenInactive(ids) { ended.signal() }
        if ended.wait(timeout: .now() + .nanoseconds(Supervisor.nanoseconds(timeout))) == .timedOut { cancelWait(token) }
        return active(ids)
    }

    /// Waits until none of `ids` has a run under way, `timeout` passes or the task is cancelled. Returns the
    /// services still active.
    @discardableResult
    public func inactive(_ ids: [EntryID], timeout: Duration) async -> [EntryID] {
        let wake = OneShot()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                wake.arm(continuation)
                let token = whenInactive(ids) { wake.fire() }
                // A late timer finds the shot fired and does nothing.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Supervisor.nanoseconds(timeout))) { [self] in
                    cancelWait(token)
                    wake.fire()
                }
            }
        } onCancel: {
            wake.fire()
        }
        return active(ids)
    }

    static func nanoseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(clamping: seconds) &* 1_000_000_000 &+ Int(attoseconds / 1_000_000_000))
    }
}

/// Resumes one continuation once, whichever of several events comes first (an event before `arm` is kept).
final class OneShot: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, Never>?
        var fired = false
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { state -> Bool in
            if state.fired { return true }
            state.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func fire() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.fired else { return nil }
            state.fired = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
