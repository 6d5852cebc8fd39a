import Testing
import WippyBoot
import WippyCore

/// Decoding of the workflow host kind (`workflow.host`), of Wippy's `temporal.client` / `temporal.worker`
/// entries and of `meta.temporal.*` registrations: defaults, required fields, and errors naming the field.
@Suite struct WorkflowConfigTests {
    func entry(_ kind: String, _ data: Payload, name: String = "wf", meta: PayloadTable = PayloadTable()) -> Entry {
        Entry(id: EntryID(namespace: "app", name: name), kind: kind, meta: meta, data: data)
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("accepted")
            return ""
        } catch {
            return (error as? WippyError)?.message ?? "\(error)"
        }
    }

    // MARK: - workflow.host

    @Test func hostDefaults() throws {
        let config = try WorkflowHostConfig(entry: entry("workflow.host", .null))
        #expect(config.store == nil)
        #expect(config.evictAfter == .seconds(30))
        #expect(config.lease == .seconds(15))
        #expect(config.node == "app:wf")
        #expect(config.workers >= 1)
        #expect(!config.lifecycle.autoStart)
        let location = try config.storeLocation(projectRoot: "/srv/p", entry: { _ in nil })
        #expect(location == .embedded(path: "/srv/p/.wippy/workflows.db"))
    }

    @Test func hostSettings() throws {
        let config = try WorkflowHostConfig(
            entry: entry(
                "workflow.host",
                .map([
                    ("store", "db"), ("host", .map([("workers", 3), ("process_memory_limit", "64M")])),
                    ("evict_after", "2m"), ("lease", 5000), ("node", "node-a"), ("lifecycle", .map([("auto_start", true)])),
                ])))
        #expect(config.store == EntryID(parsing: "app:db"))
        #expect(config.workers == 3)
        #expect(config.processMemoryLimit == 64 << 20)
        #expect(config.evictAfter == .seconds(120))
        #expect(config.lease == .seconds(5))
        #expect(config.node == "node-a")
        #expect(config.lifecycle.autoStart)
        #expect(try WorkflowHostConfig(entry: entry("workflow.host", .map([("evict_after", 0)]))).evictAfter == .zero)
    }

    @Test func hostRefusals() {
        func host(_ data: Payload) -> String { message { _ = try WorkflowHostConfig(entry: entry("workflow.host", data)) } }
        #expect(host(.map([("stroe", "db")])) == "unknown field 'stroe' (known: evict_after, host, lease, lifecycle, node, store)")
        #expect(host(.map([("store", 5)])) == "'store' must be text (got 5)")
        #expect(host(.map([("evict_after", "-1s")])) == "'evict_after' must be a duration of zero or more (got \"-1s\")")
        #expect(host(.map([("evict_after", true)])).hasPrefix("'evict_after' must be a duration such as \"30s\""))
        #expect(host(.map([("lease", "0s")])) == "'lease' must be a duration longer than zero (got \"0s\")")
        #expect(host(.map([("node", "a@b")])) == "'node' must be a non-empty name without '@' or '|' (got \"a@b\")")
        #expect(host(.map([("host", .map([("workers", 0)]))])).contains("host.workers must be a positive integer"))
        #expect(host(.map([("host", .map([("wrokers", 2)]))])).hasPrefix("unknown field 'host.wrokers'"))
    }

    @Test func storeLocations() throws {
        let entries: [EntryID: Entry] = [
            EntryID(parsing: "app:file"): entry("db.sql.sqlite", .map([("file", "state/wf.db")]), name: "file"),
            EntryID(parsing: "app:memory"): entry("db.sql.sqlite", .map([("file", ":memory:")]), name: "memory"),
            EntryID(parsing: "app:pg"): entry(
                "db.sql.postgres",
                .map([("host", "h"), ("port", 5432), ("database", "d"), ("username", "u"), ("password", "p")]), name: "pg"),
            EntryID(parsing: "app:my"): entry("db.sql.mysql", .map([("host", "h")]), name: "my"),
            EntryID(parsing: "app:proc"): entry("process.lua", .null, name: "proc"),
            EntryID(parsing: "app:badpg"): entry("db.sql.postgres", .map([("host", "h")]), name: "badpg"),
        ]
        func location(_ store: String) throws(WippyError) -> WorkflowStoreLocation {
            try WorkflowHostConfig(entry: entry("workflow.host", .map([("store", .string(store))])))
                .storeLocation(projectRoot: "/srv/p", entry: { entries[$0] })
        }
        #expect(try location("file") == .sqlite(path: "/srv/p/state/wf.db", database: EntryID(parsing: "app:file")))
        guard case .postgres(let config, let database) = try location("app:pg") else {
            Issue.record("not PostgreSQL")
            return
        }
        #expect(config.host == "h" && database == EntryID(parsing: "app:pg"))
        #expect(message { _ = try location("memory") }.contains("an in-memory SQLite database"))
        #expect(message { _ = try location("my") }.contains("kind 'db.sql.mysql' is not supported"))
        #expect(
            message { _ = try location("proc") }
                == "'store' names app:proc, a process.lua entry; it must be a db.sql.sqlite or db.sql.postgres entry")
        #expect(message { _ = try location("badpg") }.contains("'store' names app:badpg, whose settings are wrong: 'port' is required"))
        do {
            _ = try location("nothing")
            Issue.record("a missing store was accepted")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.message.contains("'store' names app:nothing, which does not exist"))
        }
    }

    @Test func finderUsesEveryHostsStoreAndTheDefault() throws {
        let db = entry("db.sql.sqlite", .map([("file", "x.db")]), name: "db")
        let withStore = entry("workflow.host", .map([("store", "db")]), name: "a")
        let without = entry("workflow.host", .null, name: "b")
        let worker = entry("temporal.worker", .map([("client", "c"), ("task_queue", "q")]), name: "w")
        #expect(
            try WorkflowStoreFinder.locations(entries: [], projectRoot: "/p") == [.embedded(path: "/p/.wippy/workflows.db")])
        #expect(
            try WorkflowStoreFinder.locations(entries: [db, withStore], projectRoot: "/p")
                == [.sqlite(path: "/p/x.db", database: db.id)])
        #expect(
            try WorkflowStoreFinder.locations(entries: [db, withStore, without], projectRoot: "/p")
                == [.embedded(path: "/p/.wippy/workflows.db"), .sqlite(path: "/p/x.db", database: db.id)])
        #expect(
            try WorkflowStoreFinder.locations(entries: [db, withStore, worker], projectRoot: "/p")
                == [.embedded(path: "/p/.wippy/workflows.db"), .sqlite(path: "/p/x.db", database: db.id)])
    }

    // MARK: - temporal.client / temporal.worker

    @Test func temporalClientDefaultsAndSettings() throws {
        let plain = try TemporalClientConfig(entry: entry("temporal.client", .map([("address", "localhost:7233")]), name: "tc"))
        #expect(plain.namespace == "default")
        #expect(plain.taskQueuePrefix == "")
        #expect(plain.connectionTimeout == .seconds(10))
        #expect(plain.keepAliveTime == .seconds(30))
        #expect(plain.keepAliveTimeout == .seconds(10))
        #expect(plain.authType == "none")
        #expect(!plain.tlsEnabled && !plain.healthCheckEnabled)
        #expect(plain.healthCheckInterval == .seconds(30))
        let full = try TemporalClientConfig(
            entry: entry(
                "temporal.client",
                .map([
                    ("address", "x.tmprl.cloud:7233"), ("namespace", "prod"), ("tq_prefix", "eu-"),
                    ("connection_timeout", "3s"), ("auth", .map([("type", "api_key"), ("api_key", "${env:NOT_SET_ANYWHERE}")])),
                    ("tls", .map([("enabled", true), ("server_name", "x")])),
                    ("health_check", .map([("enabled", true), ("interval", "1m")])),
                    ("lifecycle", .map([("auto_start", true)])),
                ]), name: "tc"))
        #expect(full.namespace == "prod" && full.taskQueuePrefix == "eu-")
        #expect(full.connectionTimeout == .seconds(3))
        #expect(full.authType == "api_key", "credentials are checked, not resolved: an unset variable is fine")
        #expect(full.tlsEnabled && full.healthCheckEnabled && full.healthCheckInterval == .seconds(60))
        #expect(full.lifecycle.autoStart)
    }

    @Test func temporalClientRefusals() {
        func client(_ data: Payload) -> String { message { _ = try TemporalClientConfig(entry: entry("temporal.client", data)) } }
        #expect(client(.map([])).hasPrefix("'address' is required"))
        #expect(client(.map([("address", "a"), ("namespce", "x")])).hasPrefix("unknown field 'namespce'"))
        #expect(client(.map([("address", "a"), ("auth", .map([("type", "oauth")]))])) == "'auth.type' must be none, api_key or mtls (got \"oauth\")")
        #expect(client(.map([("address", "a"), ("tls", .map([("enabled", "yes")]))])) == "'tls.enabled' must be true or false (got \"yes\")")
        #expect(client(.map([("address", "a"), ("keep_alive_time", "soon")])).hasPrefix("'keep_alive_time' must be a duration"))
    }

    @Test func temporalWorker() throws {
        let worker = try TemporalWorkerConfig(
            entry: entry(
                "temporal.worker",
                .map([
                    ("client", "temporal_client"), ("task_queue", "orders"),
                    ("worker_options", .map([
                        ("max_concurrent_activity_execution_size", 50), ("worker_activities_per_second", 2.5),
                        ("sticky_schedule_to_start_timeout", "5s"), ("disable_workflow_worker", false),
                        ("default_versioning_behavior", "auto_upgrade"), ("build_id", "b-1"),
                    ])),
                ]), name: "worker"))
        #expect(worker.client == EntryID(parsing: "app:temporal_client"))
        #expect(worker.pidNode == "app:temporal_client")
        #expect(worker.pidHost == "app:worker")
        #expect(worker.taskQueue == "orders")
        #expect(worker.maxConcurrentActivities == 50)
        #expect(worker.maxConcurrentWorkflowTasks == 1000)
        #expect(worker.buildID == "b-1")
        let client = try TemporalClientConfig(entry: entry("temporal.client", .map([("address", "a"), ("tq_prefix", "eu-")])))
        #expect(worker.fullTaskQueue(client: client) == "eu-orders")

        func refused(_ data: Payload) -> String { message { _ = try TemporalWorkerConfig(entry: entry("temporal.worker", data)) } }
        #expect(refused(.map([("task_queue", "q")])) == "'client' is required (a temporal.client entry ID)")
        #expect(refused(.map([("client", "c")])) == "'task_queue' is required (the task queue name)")
        #expect(refused(.map([("client", "c"), ("task_queue", 5)])) == "'task_queue' must be text (got 5)")
        #expect(
            refused(.map([("client", "c"), ("task_queue", "q"), ("worker_options", .map([("max_pollers", 1)]))]))
                .hasPrefix("unknown field 'worker_options.max_pollers'"))
        #expect(
            refused(.map([("client", "c"), ("task_queue", "q"), ("worker_options", .map([("enable_session_worker", 1)]))]))
                == "'worker_options.enable_session_worker' must be true or false (got 1)")
        #expect(
            refused(.map([("client", "c"), ("task_queue", "q"), ("worker_options", .map([("default_versioning_behavior", "latest")]))]))
                == "'worker_options.default_versioning_behavior' must be pinned or auto_upgrade (got \"latest\")")
        #expect(
            refused(.map([("client", "c"), ("task_queue", "q"), ("worker_options", .map([("worker_activities_per_second", "fast")]))]))
                == "'worker_options.worker_activities_per_second' must be a number of 0 or more (got \"fast\")")
    }

    // MARK: - meta.temporal registrations

    func meta(_ temporal: Payload) -> PayloadTable {
        var table = PayloadTable(isObject: true)
        table["temporal"] = temporal
        return table
    }

    @Test func registrations() throws {
        let workflow = try #require(
            try TemporalRegistration.of(
                entry("workflow.lua", .null, name: "order", meta: meta(.map([("workflow", .map([("worker", "worker")]))])))))
        #expect(workflow == TemporalRegistration(
            entry: EntryID(parsing: "app:order"), role: .workflow, worker: EntryID(parsing: "app:worker"), typeName: "app:order",
            local: false))
        let named = try TemporalRegistration.of(
            entry("workflow.lua", .null, name: "order", meta: meta(.map([("workflow", .map([("worker", "ops:w"), ("name", "Order")]))]))))
        #expect(named?.typeName == "Order" && named?.worker == EntryID(parsing: "ops:w"))
        let activity = try TemporalRegistration.of(
            entry("function.lua", .null, name: "charge", meta: meta(.map([("activity", .map([("worker", "worker"), ("local", true)]))]))))
        #expect(activity?.role == .activity && activity?.typeName == "app:charge" && activity?.local == true)
        #expect(try TemporalRegistration.of(entry("function.lua", .null)) == nil)

        func refused(_ kind: String, _ temporal: Payload) -> String {
            message { _ = try TemporalRegistration.of(entry(kind, .null, meta: meta(temporal))) }
        }
        #expect(refused("workflow.lua", .map([("workflow", .map([]))])) == "'meta.temporal.workflow.worker' is required (the temporal.worker entry that runs it)")
        #expect(refused("workflow.lua", .map([("workflow", "app:w")])) == "'meta.temporal.workflow' must be a mapping (got \"app:w\")")
        #expect(refused("workflow.lua", .map([("workflow", .map([("worker", "w"), ("queue", "q")]))])).hasPrefix("unknown field 'meta.temporal.workflow.queue'"))
        #expect(refused("function.lua", .map([("workflow", .map([("worker", "w")]))])).contains("this is a function.lua entry (use workflow.lua)"))
        #expect(refused("workflow.lua", .map([("activity", .map([("worker", "w")]))])).contains("this is a workflow.lua entry"))
        #expect(refused("function.lua", .map([("activity", .map([("worker", 5)]))])) == "'meta.temporal.activity.worker' must be text (got 5)")
    }
}
