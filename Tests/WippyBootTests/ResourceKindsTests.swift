import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// Store and queue entries as live resources (issue 9 item 1): a changed entry is swapped in while handles
/// already taken finish on the old resource; a store that cannot start is reported with the entry and the
/// reason while the rest runs; bad entries are refused naming the field; cluster-only kinds are refused.
@Suite struct ResourceKindsTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: cache
            kind: store.memory
            max_size: 10
          - name: unreachable
            kind: db.sql.postgres
            host: 127.0.0.1
            port: 1
            database: nothing
            username: nobody
            password: none
            options: {connect_timeout: 2}
          - name: remote
            kind: store.sql
            database: app:unreachable
            table_name: kv
            lifecycle: {restart: {max_attempts: 1}}
          - name: mem
            kind: queue.driver.memory
          - name: jobs
            kind: queue.queue
            driver: app:mem
        """

    func id(_ text: String) -> EntryID { EntryID(parsing: text) }

    @Test func changedStoreIsSwappedLiveAndOldHandlesFinish() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let app = test.app
        #expect(await test.log.wait(for: "service app:cache is running") != nil)
        let (oldLease, oldStore) = try app.runtime.resources.acquire(id("app:cache"), as: MemoryKeyValueStore.self, what: "a store")
        try oldStore.set("k", "old", ttl: nil)
        var entry = try #require(app.registry.entry(id("app:cache")))
        entry.data = .map([("max_size", 20)])
        _ = try app.registry.apply([.update(entry)])
        let deadline = ContinuousClock.now + .seconds(20)
        while (app.runtime.resources.current(id("app:cache")) as? MemoryKeyValueStore) === oldStore {
            try #require(ContinuousClock.now < deadline, "the changed store was not swapped in")
            try await Task.sleep(for: .milliseconds(5))
        }
        let (newLease, newStore) = try app.runtime.resources.acquire(id("app:cache"), as: MemoryKeyValueStore.self, what: "a store")
        #expect(newStore.maxSize == 20)
        #expect(throws: WippyError.self) { _ = try newStore.get("k") }
        // The old handle still works until released; then the old store is closed.
        #expect(try oldStore.get("k") == "old")
        oldLease.release()
        #expect((try? oldStore.get("k")) == nil)
        newLease.release()

        // A bad change is refused naming the field; the running store stays.
        entry.data = .map([("max_size", "big")])
        #expect(throws: WippyError.self) { _ = try app.registry.apply([.update(entry)]) }
        #expect(app.runtime.resources.current(id("app:cache")) === newStore)

        // Deleting the entry stops serving it.
        _ = try app.registry.apply([.delete(entry.id)])
        #expect(throws: WippyError.self) { _ = try app.runtime.resources.acquire(id("app:cache")) }
    }

    /// The store's database cannot start: the database is reported with its reason (and retried), the store
    /// waits for it, acquiring the store says why, and the rest runs.
    @Test func storeThatCannotStartIsReportedAndTheRestRuns() async throws {
        let test = try TestApplication(index: Self.project, history: .memory)
        let app = test.app
        let failure = await test.log.wait(for: "service app:unreachable is failed")
        #expect(failure != nil, "\(test.log.messages)")
        #expect(await test.log.wait(for: "service app:jobs is running") != nil)
        do {
            _ = try app.runtime.resources.acquire(id("app:remote"))
            Issue.record("acquired a store that could not start")
        } catch {
            #expect(error.message.hasPrefix("resource app:remote (store.sql) is not available: app:unreachable could not start: "), "\(error.message)")
        }
        #expect(app.runtime.resources.current(id("app:jobs")) is MessageQueue)
    }

    @Test func badEntriesAreRefusedNamingTheField() throws {
        func refusal(_ yaml: String) -> String {
            do {
                _ = try TestApplication(index: "version: \"1.0\"\nnamespace: app\nentries:\n" + yaml, history: .memory)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("  - {name: s, kind: store.memory, max_size: -1}").contains("'max_size' must be a whole number of 0 or more"))
        #expect(refusal("  - {name: s, kind: store.sql, table_name: kv}").contains("'database' is required"))
        #expect(refusal("  - {name: s, kind: store.kv.raft, namespace: x}").contains("kind 'store.kv.raft' is not supported by this runtime"))
        #expect(refusal("  - {name: d, kind: queue.driver.amqp}").contains("kind 'queue.driver.amqp' is not supported by this runtime"))
        #expect(refusal("  - {name: q, kind: queue.queue, driver: app:none}").contains("'driver': entry app:none does not exist"))
        #expect(refusal("  - {name: d, kind: queue.driver.memory}\n  - {name: q, kind: queue.queue, driver: app:d, codec: xml}")
            .contains("'codec' must be json/plain or application/msgpack"))
        #expect(refusal("  - {name: d, kind: queue.driver.memory}\n  - {name: q, kind: queue.queue, driver: app:d}\n  - {name: c, kind: queue.consumer, queue: app:q}")
            .contains("'func' is required"))
    }
}
