import Synchronization
import WippyCore
import WippyResources
import WippyRuntime

/// The registry handler of `queue.driver.memory`, `queue.queue` and `queue.consumer`.
///
/// - A driver and each queue are resources (``ResourceService``): a queue opens its driver's buffer
///   (``MemoryQueueDriver/queue(named:maxLength:)``) and holds the driver while open. A changed queue entry
///   is swapped live; a changed memory driver keeps its buffers (it has no settings besides `lifecycle`, and
///   replacing it would drop the messages it holds).
/// - A consumer is a ``QueueConsumerService``; a changed consumer entry restarts it gracefully.
///
/// `queue.driver.amqp` and `queue.driver.sqs` are refused by name.
final class QueueKind: RegistryParticipant, @unchecked Sendable {
    let runtime: LuaRuntime
    let supervisor: Supervisor
    let environment: EnvironmentLookup
    private let live = Mutex<[EntryID: QueueConfig]>([:])
    private let running = Atomic<Bool>(false)
    // Staged by the running transaction.
    private var staged: [EntryID: QueueConfig] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor, environment: EnvironmentLookup = .process) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.environment = environment
    }

    func handles(kind: String) -> Bool { QueueConfig.kinds.contains(kind) || QueueConfig.unsupportedKinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            staged[change.id] = try QueueConfig.decode(
                change.entry, environment: environment, kindOf: { transaction.entry($0)?.kind },
                hosts: { transaction.working.filter { $0.value.kind == "process.host" }.map(\.key).sorted() })
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        let resources = runtime.resources
        for id in removed.sorted() {
            guard let config = live.withLock({ $0.removeValue(forKey: id) }) else { continue }
            supervisor.remove(id)
            if case .consumer = config { continue }
            resources.remove(id)
        }
        var toStart: [EntryID] = []
        // Drivers first, then queues, then consumers (a queue opens its driver).
        let ordered = staged.sorted { a, b in
            (Self.rank(a.value), a.key) < (Self.rank(b.value), b.key)
        }
        for (id, config) in ordered {
            let previous = live.withLock { live -> QueueConfig? in
                defer { live[id] = config }
                return live[id]
            }
            if previous != nil, case .memoryDriver = config { continue }
            let service: any SupervisedService
            switch config {
            case .memoryDriver:
                service = ResourceService(id: id, kind: MemoryQueueDriver.kindName, table: resources) { () throws(WippyError) in
                    MemoryQueueDriver()
                }
            case .queue(let declaration):
                service = ResourceService(id: id, kind: MessageQueue.kindName, table: resources) { () throws(WippyError) in
                    let (lease, driver) = try resources.acquire(declaration.driver, as: MemoryQueueDriver.self, what: "a memory queue driver")
                    return MessageQueue(
                        id: id, buffer: driver.queue(named: declaration.name, maxLength: declaration.maxLength), driverLease: lease)
                }
            case .consumer(let consumer):
                service = QueueConsumerService(id: id, config: consumer, runtime: runtime)
            }
            if supervisor.install(id, service: service, lifecycle: config.lifecycle, replacing: previous != nil) { toStart.append(id) }
        }
        staged = [:]
        removed = []
        if running.load(ordering: .acquiring) { supervisor.start(toStart) }
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// From now on, new `auto_start` queues and consumers start when they are committed.
    func markRunning() { running.store(true, ordering: .releasing) }

    private static func rank(_ config: QueueConfig) -> Int {
        switch config {
        case .memoryDriver: 0
        case .queue: 1
        case .consumer: 2
        }
    }
}
