public import WippyCore
public import WippyResources

/// A Wippy `temporal.worker` entry, served by the embedded engine: the worker is a workflow host whose
/// entry ID is the host part of its workflows' PIDs, and whose client's entry ID is the node part
/// (`{app:temporal_client@app:worker|order-123}`).
///
/// `worker_options` are checked against the options Wippy documents (names and types) and otherwise
/// ignored, except the few listed here.
public struct TemporalWorkerConfig: Sendable, Equatable {
    public static let kind = "temporal.worker"

    public var id: EntryID
    /// The `temporal.client` entry (required).
    public var client: EntryID
    /// `task_queue` (required), without the client's `tq_prefix`.
    public var taskQueue: String
    /// `worker_options.max_concurrent_activity_execution_size` (default 1000).
    public var maxConcurrentActivities: Int
    /// `worker_options.max_concurrent_workflow_task_execution_size` (default 1000).
    public var maxConcurrentWorkflowTasks: Int
    /// `worker_options.disable_workflow_worker`: the worker runs activities only.
    public var disableWorkflowWorker: Bool
    /// `worker_options.local_activity_worker_only`.
    public var localActivityWorkerOnly: Bool
    /// `worker_options.identity` ("" when not set).
    public var identity: String
    /// `worker_options.build_id` (or its deprecated `build_id_env`); "" when not set.
    public var buildID: String
    public var lifecycle: LifecycleConfig

    /// The node part of this worker's workflow PIDs: the client's entry ID.
    public var pidNode: String { client.description }
    /// The host part: the worker's entry ID.
    public var pidHost: String { id.description }

    /// The task queue with `client`'s prefix in front, as Wippy names it to Temporal.
    public func fullTaskQueue(client: TemporalClientConfig) -> String { client.taskQueuePrefix + taskQueue }

    /// Decodes a `temporal.worker` entry.
    ///
    /// - Throws: `Invalid` naming the field: no `client` or `task_queue`, an unknown setting or worker
    ///   option, a wrong type, an unknown `default_versioning_behavior`.
    public init(entry: Entry, environment: EnvironmentLookup = .process) throws(WippyError) {
        let fields = try ConfigFields(
            entry.data, path: "", allowed: ["client", "task_queue", "worker_options", "lifecycle"], environment: environment)
        guard let client = try fields.entryID("client", in: entry.id.namespace) else {
            throw fields.missing("client", "a temporal.client entry ID")
        }
        guard let taskQueue = try fields.string("task_queue"), !taskQueue.isEmpty else {
            throw fields.missing("task_queue", "the task queue name")
        }
        id = entry.id
        self.client = client
        self.taskQueue = taskQueue
        let options = try ConfigFields(
            fields.value("worker_options"), path: "worker_options", allowed: TemporalWorkerConfig.optionNames,
            environment: environment)
        for key in TemporalWorkerConfig.countOptions { _ = try options.count(key) }
        for key in TemporalWorkerConfig.rateOptions {
            if let value = options.value(key), value.doubleValue == nil || value.boolValue != nil || (value.doubleValue ?? 0) < 0 {
                throw options.wrong(key, "a number of 0 or more", value)
            }
        }
        for key in TemporalWorkerConfig.durationOptions { _ = try options.duration(key) }
        for key in TemporalWorkerConfig.flagOptions { _ = try options.bool(key) }
        for key in ["identity", "deployment_name"] { _ = try options.string(key) }
        if let behavior = try options.string("default_versioning_behavior"), !["pinned", "auto_upgrade"].contains(behavior) {
            throw options.wrong("default_versioning_behavior", "pinned or auto_upgrade", .string(behavior))
        }
        maxConcurrentActivities = try options.count("max_concurrent_activity_execution_size").flatMap { $0 == 0 ? nil : $0 } ?? 1000
        maxConcurrentWorkflowTasks =
            try options.count("max_concurrent_workflow_task_execution_size").flatMap { $0 == 0 ? nil : $0 } ?? 1000
        disableWorkflowWorker = try options.bool("disable_workflow_worker") ?? false
        localActivityWorkerOnly = try options.bool("local_activity_worker_only") ?? false
        identity = try options.string("identity") ?? ""
        buildID = try options.stringOrLegacyEnv("build_id") ?? ""
        lifecycle = try LifecycleConfig(payload: fields.value("lifecycle"), entry: entry.id)
    }

    static let countOptions = [
        "max_concurrent_activity_execution_size", "max_concurrent_workflow_task_execution_size",
        "max_concurrent_local_activity_execution_size", "max_concurrent_session_execution_size",
        "max_concurrent_eager_activity_execution_size", "max_concurrent_activity_task_pollers",
        "max_concurrent_workflow_task_pollers",
    ]
    static let rateOptions = ["worker_activities_per_second", "worker_local_activities_per_second", "task_queue_activities_per_second"]
    static let durationOptions = [
        "sticky_schedule_to_start_timeout", "worker_stop_timeout", "deadlock_detection_timeout",
        "max_heartbeat_throttle_interval", "default_heartbeat_throttle_interval",
    ]
    static let flagOptions = [
        "enable_logging_in_replay", "enable_session_worker", "disable_workflow_worker", "local_activity_worker_only",
        "disable_eager_activities", "disable_registration_aliasing", "use_versioning",
    ]
    static let optionNames: Set<String> = Set(countOptions + rateOptions + durationOptions + flagOptions).union([
        "identity", "deployment_name", "build_id", "build_id_env", "default_versioning_behavior",
    ])
}
