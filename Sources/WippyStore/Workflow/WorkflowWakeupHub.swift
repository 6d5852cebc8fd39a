import Synchronization
import WippyCore

/// The subscribers of a store's ``WorkflowWakeup`` hints: one `AsyncStream` each, fed by the store (after
/// a commit, or from PostgreSQL's `LISTEN`). A slow subscriber keeps only its newest 4096 hints.
final class WorkflowWakeupHub: Sendable {
    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<WorkflowWakeup>.Continuation] = [:]
        var closed = false
    }
    private let state = Mutex(State())

    func subscribe() -> AsyncStream<WorkflowWakeup> {
        let (stream, continuation) = AsyncStream.makeStream(of: WorkflowWakeup.self, bufferingPolicy: .bufferingNewest(4096))
        let id = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            defer { state.next += 1 }
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    func post(_ wakeup: WorkflowWakeup) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(wakeup) }
    }

    /// Ends every stream; later subscriptions end at once.
    func close() {
        let subscribers = state.withLock { state in
            state.closed = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
