import Synchronization
import Testing
@testable import WippyCore

@Suite struct ResourceTableTests {
    final class Counted: Resource {
        let kind = "test.resource"
        let name: String
        let closes = Atomic<Int>(0)
        init(_ name: String) { self.name = name }
        func close() { closes.add(1, ordering: .relaxed) }
        var closeCount: Int { closes.load(ordering: .relaxed) }
    }

    let id = EntryID(parsing: "app:db")

    @Test func swapKeepsTheOldOneOpenUntilItsLeasesAreReleased() throws {
        let table = ResourceTable()
        let first = Counted("first")
        table.install(id, first)
        let lease = try table.acquire(id)
        #expect(lease.generation == 1)
        let second = Counted("second")
        table.install(id, second)
        #expect(first.closeCount == 0)
        let newLease = try table.acquire(id)
        #expect((newLease.resource as? Counted)?.name == "second")
        #expect((lease.resource as? Counted)?.name == "first")
        lease.release()
        lease.release()
        #expect(first.closeCount == 1)
        #expect(second.closeCount == 0)
        table.remove(id)
        #expect(second.closeCount == 0)
        newLease.release()
        #expect(second.closeCount == 1)
        #expect(throws: WippyError.self) { try table.acquire(id) }
    }

    @Test func anUnleasedResourceClosesWhenReplaced() {
        let table = ResourceTable()
        let first = Counted("first")
        table.install(id, first)
        table.install(id, Counted("second"))
        #expect(first.closeCount == 1)
    }

    @Test func failuresAndStartsSayWhy() throws {
        let table = ResourceTable()
        table.declare(id, kind: "db.sql.postgres")
        do {
            _ = try table.acquire(id)
            Issue.record("acquired a resource that is not started")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("not started"))
        }
        table.fail(id, kind: "db.sql.postgres", reason: "password authentication failed")
        do {
            _ = try table.acquire(id)
            Issue.record("acquired a failed resource")
        } catch {
            #expect(error.message.contains("app:db"))
            #expect(error.message.contains("password authentication failed"))
        }
        do {
            _ = try table.acquire(EntryID(parsing: "app:other"))
            Issue.record("acquired a missing resource")
        } catch {
            #expect(error.kind == .notFound)
        }
    }

    @Test func aForgottenLeaseReleasesItself() {
        let table = ResourceTable()
        let first = Counted("first")
        table.install(id, first)
        do { _ = try? table.acquire(id) }
        table.remove(id)
        #expect(first.closeCount == 1)
    }

    @Test func typedAcquireRefusesAnotherKind() throws {
        let table = ResourceTable()
        table.install(id, Counted("x"))
        #expect(throws: WippyError.self) { _ = try table.acquire(id, as: String.self, what: "a string") }
        #expect(table.leaseCount(id) == 0)
        let (lease, resource) = try table.acquire(id, as: Counted.self, what: "a counted resource")
        #expect(resource.name == "x")
        #expect(table.leaseCount(id) == 1)
        lease.release()
    }

    @Test func whenStartedWaitsForTheStartToSettle() {
        let table = ResourceTable()
        let calls = Mutex<[String]>([])
        table.whenStarted(id) { calls.withLock { $0.append("undeclared") } }
        table.declare(id, kind: "test.kind")
        table.whenStarted(id) { calls.withLock { $0.append("installed") } }
        #expect(calls.withLock { $0 } == ["undeclared"])
        table.install(id, Counted("x"))
        #expect(calls.withLock { $0 } == ["undeclared", "installed"])
        let other = EntryID(parsing: "app:other")
        table.declare(other, kind: "test.kind")
        table.whenStarted(other) { calls.withLock { $0.append("failed") } }
        table.fail(other, kind: "test.kind", reason: "no")
        let third = EntryID(parsing: "app:third")
        table.declare(third, kind: "test.kind")
        table.whenStarted(third) { calls.withLock { $0.append("removed") } }
        table.remove(third)
        #expect(calls.withLock { $0 } == ["undeclared", "installed", "failed", "removed"])
    }
}
