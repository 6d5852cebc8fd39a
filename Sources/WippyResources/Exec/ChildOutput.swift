import Synchronization

/// The bytes a child writes on one of its output pipes, as they arrive, for a reader that waits for them
/// without holding a thread: ``read(max:)`` answers at once or says to wait, and ``whenReadable(_:)``
/// calls back (on the pipe's reader thread) once there is data or the end.
public final class ChildOutput: Sendable {
    public enum Chunk: Sendable, Equatable {
        case data([UInt8])
        case end
    }

    private struct State {
        var buffer: [UInt8] = []
        var ended = false
        var closed = false
        var waiters: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Up to `max` buffered bytes, `.end` once the pipe closed and everything was read, nil when nothing
    /// is there yet.
    public func read(max: Int) -> Chunk? {
        state.withLock { state in
            if state.closed { return .end }
            if !state.buffer.isEmpty {
                let count = min(max, state.buffer.count)
                let chunk = Array(state.buffer.prefix(count))
                state.buffer.removeFirst(count)
                return .data(chunk)
            }
            return state.ended ? .end : nil
        }
    }

    /// Calls `callback` once data or the end is there (at once, on this thread, if it already is).
    public func whenReadable(_ callback: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.ended || state.closed || !state.buffer.isEmpty { return true }
            state.waiters.append(callback)
            return false
        }
        if now { callback() }
    }

    /// Bytes buffered and not read yet.
    public var buffered: Int { state.withLock { $0.buffer.count } }

    /// The reader stops listening: later reads see the end, buffered bytes are dropped.
    public func close() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            state.closed = true
            state.buffer = []
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }

    func append(_ bytes: [UInt8]) {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            if !state.closed { state.buffer += bytes }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }

    func finish() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            state.ended = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter() }
    }
}
