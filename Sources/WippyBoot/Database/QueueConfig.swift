import WippyCore
import WippyResources

/// The configuration of a `queue.driver.memory`, `queue.queue` or `queue.consumer` entry (lua-api-io §7.3).
enum QueueConfig: Sendable, Equatable {
    case memoryDriver(lifecycle: LifecycleConfig)
    case queue(QueueDeclaration)
    case consumer(QueueConsumerConfig)

    static let kinds: Set<String> = ["queue.driver.memory", "queue.queue", "queue.consumer"]
    /// Wippy queue drivers this runtime refuses by name.
    static let unsupportedKinds: Set<String> = ["queue.driver.amqp", "queue.driver.sqs"]

    var lifecycle: LifecycleConfig {
        switch self {
        case .memoryDriver(let lifecycle): lifecycle
        case .queue(let queue): queue.lifecycle
        case .consumer(let consumer): consumer.lifecycle
        }
    }

    /// Decodes `entry`; the entries it names are looked up with `kindOf`, and `hosts` lists the
    /// `process.host` entries a consumer may run its handler on when it names none.
    static func decode(
        _ entry: Entry, environment: EnvironmentLookup, kindOf: (EntryID) -> String?, hosts: () -> [EntryID]
    ) throws(WippyError) -> QueueConfig {
        if unsupportedKinds.contains(entry.kind) {
            throw WippyError.invalid("kind '\(entry.kind)' is not supported by this runtime: use queue.driver.memory")
        }
        var lifecycle = try LifecycleConfig.resource(entry)
        func reference(_ fields: ConfigFields, _ key: String, _ what: String, kinds: (String) -> Bool) throws(WippyError) -> EntryID {
            guard let id = try fields.entryID(key, in: entry.id.namespace) else { throw fields.missing(key, what) }
            guard let kind = kindOf(id) else { throw WippyError.notFound("'\(key)': entry \(id) does not exist") }
            guard kinds(kind) else { throw WippyError.invalid("'\(key)': \(id) is a \(kind) entry, not \(what)") }
            return id
        }
        switch entry.kind {
        case "queue.driver.memory":
            _ = try ConfigFields(entry.data, path: "", allowed: ["lifecycle"], environment: environment)
            return .memoryDriver(lifecycle: lifecycle)
        case "queue.queue":
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["driver", "codec", "queue_name", "driver_options", "dead_letter", "lifecycle"],
                environment: environment)
            let driver = try reference(fields, "driver", "a queue driver entry", kinds: { $0.hasPrefix("queue.driver.") })
            let codec = try fields.string("codec") ?? "json/plain"
            guard ["json/plain", "application/json", "application/msgpack", "json", ""].contains(codec) else {
                throw fields.wrong("codec", "json/plain or application/msgpack", .string(codec))
            }
            var maxLength = 1000
            if let options = fields.value("driver_options") {
                let driverOptions = try ConfigFields(options, path: "driver_options", allowed: ["memory", "amqp", "sqs"], environment: environment)
                let memory = try ConfigFields(
                    driverOptions.value("memory"), path: "driver_options.memory", allowed: ["max_length"], environment: environment)
                if let length = try memory.count("max_length"), length > 0 { maxLength = length }
            }
            if !lifecycle.requires.contains(driver) { lifecycle.requires.append(driver) }
            let name = try fields.string("queue_name").flatMap { $0.isEmpty ? nil : $0 } ?? entry.id.name
            return .queue(QueueDeclaration(driver: driver, name: name, maxLength: maxLength, lifecycle: lifecycle))
        default:
            let fields = try ConfigFields(
                entry.data, path: "",
                allowed: ["queue", "func", "concurrency", "prefetch", "auto_ack", "driver_options", "lifecycle", "host"],
                environment: environment)
            let queue = try reference(fields, "queue", "a queue.queue entry", kinds: { $0 == "queue.queue" })
            let function = try reference(fields, "func", "a function.lua entry", kinds: { $0 == "function.lua" || $0 == "process.lua" })
            let concurrency = try fields.count("concurrency") ?? 1
            guard concurrency <= 1000 else { throw fields.wrong("concurrency", "at most 1000", .int(Int64(concurrency))) }
            let prefetch = try fields.count("prefetch") ?? 10
            guard prefetch <= 10_000 else { throw fields.wrong("prefetch", "at most 10000", .int(Int64(prefetch))) }
            let host: EntryID
            if fields.has("host") {
                host = try reference(fields, "host", "a process.host entry", kinds: { $0 == "process.host" })
            } else {
                guard let first = hosts().first else {
                    // NotFound: the registry retries once the rest of the changeset is in.
                    throw WippyError.notFound("queue.consumer needs a process.host entry to run its handler on (none is declared)")
                }
                host = first
            }
            for required in [queue, host] where !lifecycle.requires.contains(required) { lifecycle.requires.append(required) }
            return .consumer(
                QueueConsumerConfig(
                    queue: queue, function: function, host: host, concurrency: max(1, concurrency), prefetch: prefetch,
                    autoAck: try fields.bool("auto_ack") ?? false, lifecycle: lifecycle))
        }
    }
}

/// A `queue.queue` entry: which driver buffer it is.
struct QueueDeclaration: Sendable, Equatable {
    var driver: EntryID
    var name: String
    var maxLength: Int
    var lifecycle: LifecycleConfig
}

/// A `queue.consumer` entry.
struct QueueConsumerConfig: Sendable, Equatable {
    var queue: EntryID
    var function: EntryID
    /// Where handler invocations run (the entry's `host`, else the first `process.host`).
    var host: EntryID
    var concurrency: Int
    var prefetch: Int
    var autoAck: Bool
    var lifecycle: LifecycleConfig
}
