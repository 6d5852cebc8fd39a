import ServiceLifecycle
import Synchronization

/// A one-way latch between the services of a run: one opens it when it is ready (the runtime started, the
/// control socket is bound), others wait for it. Waiting ends early, returning false, when the waiting
/// service is asked to shut down gracefully or its task is cancelled.
public final class Readiness: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits given up before their continuation was registered.
        var abandoned: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isOpen: Bool { state.withLock { $0.isOpen } }

    public func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// True once open; false when the caller is shut down (gracefully or by cancellation) first.
    public func wait() async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationOrGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let result = state.withLock { state -> Bool? in
                    if state.isOpen { return true }
                    if state.abandoned.remove(id) != nil { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let result { continuation.resume(returning: result) }
            }
        } onCancelOrGracefulShutdown: {
            self.giveUp(id)
        }
    }

    private func giveUp(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                // Not registered yet (or already resumed): make the registration see the shutdown.
                if !state.isOpen { state.abandoned.insert(id) }
                return nil
            }
            return waiter
        }
        waiter?.resume(returning: false)
    }
}
