import DequeModule
public import WippyCore
import Synchronization

/// A pool of database connections with Go's `database/sql` rules: at most `maxOpen` open (0: no limit),
/// at most `maxIdle` kept idle, each replaced once older than `maxLifetime`. Acquiring never blocks a thread:
/// when every connection is busy and no more may be opened, the request waits in line and is completed
/// when one is released.
///
/// Opening and closing connections are the driver's (`open`, `close`); both report back or act without
/// blocking the caller. Thread-safe.
public final class SQLConnectionPool<Connection: AnyObject & Sendable>: Sendable {
    public struct Limits: Sendable {
        public var maxOpen: Int
        public var maxIdle: Int
        /// nil: connections live for ever.
        public var maxLifetime: Duration?

        public init(maxOpen: Int, maxIdle: Int, maxLifetime: Duration?) {
            self.maxOpen = maxOpen
            self.maxIdle = maxIdle
            self.maxLifetime = maxLifetime
        }
    }

    /// One open connection and when it expires.
    public final class Pooled: Sendable {
        public let connection: Connection
        /// When it expires on ``MonotonicClock`` (`UInt64.max`: never). Nanoseconds rather than a
        /// `ContinuousClock.Instant`: every acquire and release of a lived connection reads the clock, and
        /// `ContinuousClock.now` cost an SQLite point select about 200 instructions of the two.
        let expires: UInt64

        init(_ connection: Connection, lifetime: Duration?) {
            self.connection = connection
            guard let lifetime else {
                expires = .max
                return
            }
            let (deadline, overflow) = MonotonicClock.now().addingReportingOverflow(UInt64(max(0, lifetime.nanosecondsClamped)))
            expires = overflow ? .max : deadline
        }
    }

    public typealias Opener = @Sendable (@escaping @Sendable (Result<Connection, WippyError>) -> Void) -> Void

    private struct Waiter {
        let since: ContinuousClock.Instant
        let completion: SQLCompletion<Pooled>
    }

    private enum Next { case fail, use(Pooled), openNew, wait }
    private enum Outcome { case handOver, keep, close, closeAndServe }

    private struct State {
        var idle: [Pooled] = []
        var open = 0
        var inUse = 0
        var waiters = Deque<Waiter>()
        var closed = false
        var stats = SQLStats()
    }

    public let limits: Limits
    private let open: Opener
    private let closeConnection: @Sendable (Connection) -> Void
    private let isBroken: @Sendable (Connection) -> Bool
    private let state = Mutex(State())

    public init(
        limits: Limits, open: @escaping Opener, close: @escaping @Sendable (Connection) -> Void,
        isBroken: @escaping @Sendable (Connection) -> Bool = { _ in false }
    ) {
        self.limits = limits
        self.open = open
        self.closeConnection = close
        self.isBroken = isBroken
    }

    /// Reads the clock only when connections have a lifetime (a point select should not pay for it).
    private func expired(_ pooled: Pooled) -> Bool {
        pooled.expires != .max && MonotonicClock.now() >= pooled.expires
    }

    /// Adds a connection opened beforehand (the one a database opens to check its settings) as idle.
    public func seed(_ connection: Connection) {
        let kept = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.open += 1
            state.idle.append(Pooled(connection, lifetime: limits.maxLifetime))
            return true
        }
        if !kept { closeConnection(connection) }
    }

    /// An idle connection at once, or nil when none is idle (nothing is opened and nobody waits).
    public func acquireIdle() -> Pooled? {
        var retired: [Pooled] = []
        let pooled = state.withLock { state -> Pooled? in
            guard !state.closed, state.waiters.isEmpty else { return nil }
            return takeIdle(&state, retiring: &retired)
        }
        for old in retired { closeConnection(old.connection) }
        return pooled
    }

    /// Pops the newest usable idle connection, moving expired or broken ones to `retired`. Called under
    /// the lock.
    private func takeIdle(_ state: inout State, retiring retired: inout [Pooled]) -> Pooled? {
        while let candidate = state.idle.popLast() {
            let isExpired = expired(candidate)
            if isExpired || isBroken(candidate.connection) {
                if isExpired { state.stats.maxLifetimeClosed += 1 }
                state.open -= 1
                retired.append(candidate)
                continue
            }
            state.inUse += 1
            return candidate
        }
        return nil
    }

    /// Gives a connection to `completion`: an idle one, a new one, or the next one released.
    ///
    /// The idle check and the decision to wait are one step under the lock: a connection released between
    /// the two would otherwise sit idle while its next user waits in line for ever.
    public func acquire(_ completion: @escaping SQLCompletion<Pooled>) {
        var retired: [Pooled] = []
        let next = state.withLock { state -> Next in
            if state.closed { return .fail }
            if state.waiters.isEmpty, let pooled = takeIdle(&state, retiring: &retired) {
                return .use(pooled)
            }
            if limits.maxOpen <= 0 || state.open < limits.maxOpen {
                state.open += 1
                state.inUse += 1
                return .openNew
            }
            state.waiters.append(Waiter(since: .now, completion: completion))
            state.stats.waitCount += 1
            return .wait
        }
        for old in retired { closeConnection(old.connection) }
        switch next {
        case .fail: completion(.failure(WippyError.unavailable("the database is closed")))
        case .use(let pooled): completion(.success(pooled))
        case .wait: break
        case .openNew: openConnection(completion)
        }
    }

    private func openConnection(_ completion: @escaping SQLCompletion<Pooled>) {
        open { [self] result in
            switch result {
            case .success(let connection):
                completion(.success(Pooled(connection, lifetime: limits.maxLifetime)))
            case .failure(let error):
                state.withLock { state in
                    state.open -= 1
                    state.inUse -= 1
                }
                completion(.failure(error))
                // Someone may be waiting for the slot this attempt held.
                serveWaiter()
            }
        }
    }

    /// When a slot is free and someone waits, opens a connection for them.
    private func serveWaiter() {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.closed, !state.waiters.isEmpty, limits.maxOpen <= 0 || state.open < limits.maxOpen else { return nil }
            state.open += 1
            state.inUse += 1
            let waiter = state.waiters.removeFirst()
            state.stats.waitDuration += ContinuousClock.now - waiter.since
            return waiter
        }
        if let waiter { openConnection(waiter.completion) }
    }

    /// Returns `pooled`; `broken` closes it (a connection left in an unknown state).
    public func release(_ pooled: Pooled, broken: Bool = false) {
        // The waiter taken, if any, is kept outside the outcome: an enum with a closure payload, copied out
        // of the lock and destroyed, cost a point select about 900 instructions on the common path.
        var waiter: Waiter?
        let outcome = state.withLock { state -> Outcome in
            let isExpired = !broken && !state.closed && expired(pooled)
            let retire = broken || state.closed || isExpired || isBroken(pooled.connection)
            if retire {
                if isExpired { state.stats.maxLifetimeClosed += 1 }
                state.open -= 1
                state.inUse -= 1
                return state.waiters.isEmpty ? .close : .closeAndServe
            }
            if !state.waiters.isEmpty {
                let next = state.waiters.removeFirst()
                state.stats.waitDuration += ContinuousClock.now - next.since
                waiter = next
                return .handOver
            }
            state.inUse -= 1
            if state.idle.count < limits.maxIdle {
                state.idle.append(pooled)
                return .keep
            }
            state.stats.maxIdleClosed += 1
            state.open -= 1
            return .close
        }
        switch outcome {
        case .handOver: waiter?.completion(Result<Pooled, WippyError>.success(pooled))
        case .keep: break
        case .close: closeConnection(pooled.connection)
        case .closeAndServe:
            closeConnection(pooled.connection)
            serveWaiter()
        }
    }

    /// Closes the idle connections and those in use as they are released; waiting requests fail.
    public func close() {
        let (idle, waiters) = state.withLock { state -> ([Pooled], Deque<Waiter>) in
            state.closed = true
            let idle = state.idle
            state.open -= idle.count
            state.idle = []
            let waiters = state.waiters
            state.waiters = []
            return (idle, waiters)
        }
        for pooled in idle { closeConnection(pooled.connection) }
        for waiter in waiters { waiter.completion(.failure(WippyError.unavailable("the database is closed"))) }
    }

    public func stats() -> SQLStats {
        state.withLock { state in
            var stats = state.stats
            stats.maxOpenConnections = limits.maxOpen
            stats.openConnections = state.open
            stats.inUse = state.inUse
            stats.idle = state.idle.count
            return stats
        }
    }
}
