import Dispatch
import Foundation
import Synchronization
import Testing
import WippyCore
import WippyResources

/// A connection of the pool tests: counts how many were opened and closed.
final class Probe: Sendable {
    let number: Int
    init(_ number: Int) { self.number = number }
}

final class ProbeFactory: Sendable {
    let opened = Atomic<Int>(0)
    let closed = Atomic<Int>(0)

    func pool(maxOpen: Int, maxIdle: Int, maxLifetime: Duration? = nil) -> SQLConnectionPool<Probe> {
        SQLConnectionPool(
            limits: .init(maxOpen: maxOpen, maxIdle: maxIdle, maxLifetime: maxLifetime),
            open: { [self] completion in completion(.success(Probe(opened.add(1, ordering: .relaxed).newValue))) },
            close: { [self] _ in closed.add(1, ordering: .relaxed) })
    }
}

/// Collects what acquisitions got.
final class Acquired: Sendable {
    let got = Mutex<[SQLConnectionPool<Probe>.Pooled]>([])
    let failures = Mutex<[WippyError]>([])
    func take(_ result: Result<SQLConnectionPool<Probe>.Pooled, WippyError>) {
        switch result {
        case .success(let pooled): got.withLock { $0.append(pooled) }
        case .failure(let error): failures.withLock { $0.append(error) }
        }
    }
    var count: Int { got.withLock { $0.count } }
    func at(_ index: Int) -> SQLConnectionPool<Probe>.Pooled { got.withLock { $0[index] } }
}

@Suite struct SQLConnectionPoolTests {
    @Test func maxOpenMakesTheNextRequestWaitForARelease() {
        let factory = ProbeFactory()
        let pool = factory.pool(maxOpen: 2, maxIdle: 2)
        let acquired = Acquired()
        for _ in 0..<3 { pool.acquire(acquired.take) }
        #expect(acquired.count == 2)
        #expect(factory.opened.load(ordering: .relaxed) == 2)
        #expect(pool.stats().waitCount == 1)
        #expect(pool.stats().inUse == 2)
        pool.release(acquired.at(0))
        #expect(acquired.count == 3)
        #expect(acquired.at(2) === acquired.at(0))
        #expect(factory.opened.load(ordering: .relaxed) == 2)
    }

    @Test func maxIdleClosesWhatIsNotKept() {
        let factory = ProbeFactory()
        let pool = factory.pool(maxOpen: 0, maxIdle: 1)
        let acquired = Acquired()
        for _ in 0..<3 { pool.acquire(acquired.take) }
        #expect(factory.opened.load(ordering: .relaxed) == 3)
        for index in 0..<3 { pool.release(acquired.at(index)) }
        let stats = pool.stats()
        #expect(stats.idle == 1)
        #expect(stats.openConnections == 1)
        #expect(stats.maxIdleClosed == 2)
        #expect(factory.closed.load(ordering: .relaxed) == 2)
        // The idle one serves the next request.
        #expect(pool.acquireIdle() != nil)
    }

    @Test func anExpiredConnectionIsReplaced() {
        let factory = ProbeFactory()
        let pool = factory.pool(maxOpen: 1, maxIdle: 1, maxLifetime: .zero)
        let acquired = Acquired()
        pool.acquire(acquired.take)
        pool.release(acquired.at(0))
        #expect(pool.stats().maxLifetimeClosed == 1)
        pool.acquire(acquired.take)
        #expect(acquired.at(1).connection.number == 2)
    }

    @Test func aBrokenConnectionFreesItsSlotForAWaiter() {
        let factory = ProbeFactory()
        let pool = factory.pool(maxOpen: 1, maxIdle: 1)
        let acquired = Acquired()
        pool.acquire(acquired.take)
        pool.acquire(acquired.take)
        #expect(acquired.count == 1)
        pool.release(acquired.at(0), broken: true)
        #expect(acquired.count == 2)
        #expect(acquired.at(1).connection.number == 2)
    }

    @Test func closingFailsTheWaitersAndClosesTheRest() {
        let factory = ProbeFactory()
        let pool = factory.pool(maxOpen: 1, maxIdle: 1)
        let acquired = Acquired()
        pool.acquire(acquired.take)
        pool.acquire(acquired.take)
        pool.close()
        #expect(acquired.failures.withLock { $0.count } == 1)
        pool.release(acquired.at(0))
        #expect(factory.closed.load(ordering: .relaxed) == 1)
        pool.acquire(acquired.take)
        #expect(acquired.failures.withLock { $0.count } == 2)
    }

    /// Two threads taking turns on the one connection, as two workers do with an SQLite database: every
    /// acquisition is served. (A connection released between a request's idle check and its joining the
    /// line was left idle while the request waited for ever.)
    @Test func contendedAcquisitionsAreAllServed() {
        let pool = ProbeFactory().pool(maxOpen: 1, maxIdle: 1)
        let stuck = Atomic<Int>(0)
        let finished = DispatchGroup()
        for _ in 0..<2 {
            finished.enter()
            Thread.detachNewThread {
                defer { finished.leave() }
                for _ in 0..<20_000 {
                    let served = DispatchSemaphore(value: 0)
                    pool.acquire { result in
                        if case .success(let pooled) = result { pool.release(pooled) }
                        served.signal()
                    }
                    if served.wait(timeout: .now() + .seconds(30)) == .timedOut {
                        stuck.add(1, ordering: .relaxed)
                        return
                    }
                }
            }
        }
        #expect(finished.wait(timeout: .now() + .seconds(120)) == .success)
        #expect(stuck.load(ordering: .relaxed) == 0)
        #expect(pool.stats().inUse == 0)
    }
}
