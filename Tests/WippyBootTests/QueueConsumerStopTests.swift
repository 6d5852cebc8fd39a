import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// Stopping a consumer (its entry deleted) loses nothing: intake stops, messages it had buffered go back on
/// the queue, the handlers in flight finish; a consumer added again handles the rest, each message once.
@Suite struct QueueConsumerStopTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: mem
            kind: queue.driver.memory
          - name: jobs
            kind: queue.queue
            driver: app:mem
          - name: seen
            kind: store.memory
          - name: handle
            kind: function.lua
            method: handle
            modules: [store, logger, time]
            source: |
              local store = require("store")
              local logger = require("logger")
              local time = require("time")
              return { handle = function(job)
                local s = store.get("app:seen")
                -- holds every handler until the test says go
                while not s:has("go") do time.sleep("5ms") end
                local first = s:put("job:" .. job.n, true, {only_if_absent = true})
                logger:info((first and "handled " or "handled again ") .. job.n)
                if #s:list({prefix = "job:"}).items == job.total then logger:info("every job handled") end
              end }
          - name: workers
            kind: queue.consumer
            queue: app:jobs
            func: app:handle
            concurrency: 2
            prefetch: 5
          - name: producer
            kind: process.lua
            modules: [queue]
            source: |
              local queue = require("queue")
              return { main = function(total)
                for n = 1, total do assert(queue.publish("app:jobs", {n = n, total = total})) end
                return true
              end }
        """

    @Test func stoppedConsumerPutsBufferedMessagesBack() async throws {
        let test = try CacheAppTests.App(index: Self.project, history: .memory)
        let app = test.app
        #expect(await test.log.wait(for: "service app:workers is running") != nil)
        let total = 30
        _ = try await test.run("app:producer", [.int(Int64(total))])
        let (lease, queue) = try app.runtime.resources.acquire(EntryID(parsing: "app:jobs"), as: MessageQueue.self, what: "a queue")
        // Two handlers running (held), five buffered: seven taken from the queue.
        var deadline = ContinuousClock.now + .seconds(20)
        while queue.buffer.stats.inFlight < 7 {
            try #require(ContinuousClock.now < deadline, "the consumer did not take its messages")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(queue.buffer.stats.inFlight == 7 && queue.buffer.stats.ready == total - 7)
        let consumer = try #require(app.registry.entry(EntryID(parsing: "app:workers")))
        _ = try app.registry.apply([.delete(consumer.id)])
        // Stopping: the buffered five go back at once, the two running go on.
        deadline = ContinuousClock.now + .seconds(20)
        while queue.buffer.stats.inFlight > 2 {
            try #require(ContinuousClock.now < deadline, "the buffered messages did not go back")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(app.supervisor.service(consumer.id) != nil)
        let (storeLease, seen) = try app.runtime.resources.acquire(EntryID(parsing: "app:seen"), as: MemoryKeyValueStore.self, what: "a store")
        try seen.set("go", true, ttl: nil)
        storeLease.release()
        deadline = ContinuousClock.now + .seconds(20)
        while app.supervisor.service(consumer.id) != nil {
            try #require(ContinuousClock.now < deadline, "the consumer did not stop")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(test.log.messages.filter { $0.hasPrefix("handled ") }.count == 2)
        #expect(queue.buffer.stats.inFlight == 0 && queue.buffer.stats.consumers == 0)
        #expect(queue.buffer.stats.ready == total - 2)
        lease.release()
        _ = try app.registry.apply([.create(consumer)])
        #expect(await test.log.wait(for: "every job handled", within: .seconds(30)) != nil)
        #expect(test.log.messages.filter { $0.hasPrefix("handled ") }.count == total)
        #expect(test.log.first("handled again") == nil)
    }
}
