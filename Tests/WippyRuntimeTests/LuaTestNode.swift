import Logging
import Synchronization
import Testing
import WippyCore
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A node with a Lua process host (and a Swift "collector" process host) for the runtime tests.
///
/// Unlike ``RuntimeHarness`` every wait has a generous hang guard (a test fails instead of hanging forever;
/// no test asserts an upper bound on time), results of every spawned process are kept, and Lua sources can get
/// one-line check helpers prepended without shifting line numbers.
final class LuaTestNode: @unchecked Sendable {
    static let hostID = "app:processes"
    /// Hang guard for waits. Not a performance bound: a correct runtime answers in milliseconds.
    static let hangGuard: Duration = .seconds(60)

    /// One line of Lua: `check(name, cond, detail)`, `eq(name, got, want)`, `report()` ("ok" or the failures).
    static let helpers =
        "local __fails = {} "
        + "local function check(name, cond, detail) if not cond then __fails[#__fails + 1] = name .. "
        + "(detail ~= nil and (': ' .. tostring(detail)) or '') end end "
        + "local function eq(name, got, want) if got ~= want then __fails[#__fails + 1] = name .. ': got ' .. "
        + "tostring(got) .. ', want ' .. tostring(want) end end "
        + "local function report() if #__fails == 0 then return 'ok' end return table.concat(__fails, '; ') end "

    let node = Node()
    let runtime: LuaRuntime
    let host: ProcessHost
    private let collectorHostBox = Mutex<ProcessHost?>(nil)
    let results = ResultStore()
    let hung = Atomic<Bool>(false)
    private let collectors = Mutex<[PID]>([])
    private let lockFD: Int32

    private init(workers: Int, modules: [any LuaModule], processMemoryLimit: Int?, lockFD: Int32) {
        self.lockFD = lockFD
        var logger = Logger(label: "lua-test-node") { _ in SilentLogHandler() }
        logger.logLevel = .critical
        runtime = LuaRuntime(node: node, modules: modules, logger: logger)
        host = runtime.makeHost(id: Self.hostID, workers: workers, processMemoryLimit: processMemoryLimit)
        node.register(host: host)
        host.start()
    }

    /// Makes a node; holds the shared side of the memory-measurement lock until ``shutdown()``.
    /// `processMemoryLimit`: bytes each process of the host may hold (nil: none).
    static func make(
        workers: Int = 2, modules: [any LuaModule] = [],
        processMemoryLimit: Int? = HostMemorySettings.defaultProcessLimit
    ) async -> LuaTestNode {
        let fd = await RuntimeTestLock.acquire(exclusive: false)
        return LuaTestNode(workers: workers, modules: modules, processMemoryLimit: processMemoryLimit, lockFD: fd)
    }

    /// The host of collector processes (created on first use).
    var collectorHost: ProcessHost {
        collectorHostBox.withLock { box in
            if let host = box { return host }
            let host = ProcessHost(id: "test:collector", node: node, workerCount: 1)
            node.register(host: host)
            host.start()
            box = host
            return host
        }
    }

    /// Stops the hosts on a separate thread, so no test thread blocks in `ProcessHost.stop` (which joins the
    /// workers and waits up to its deadline for processes to end), then releases the lock once they stopped.
    /// After a timed-out wait (the test has failed already) a worker may be stuck for good: the lock is then
    /// released at once, so memory measurements waiting for it are not held up by a test that failed.
    func shutdown() {
        let node = self.node
        let host = self.host
        let collectorPIDs = collectors.withLock { $0 }
        let collectorHost = collectorHostBox.withLock { $0 }
        let lock = OnceRelease(fd: lockFD)
        if hung.load(ordering: .relaxed) { lock.release() }
        detachThread {
            for pid in collectorPIDs { node.terminate(pid) }
            host.stop(timeout: .seconds(2))
            collectorHost?.stop(timeout: .seconds(2))
            lock.release()
        }
    }

    // MARK: - Code

    @discardableResult
    func install(
        _ id: String, source: String, kind: LuaEntryKind = .process, method: String? = "main",
        modules: [String] = [], imports: [(String, String)] = [], helpers: Bool = true
    ) -> LuaProgram {
        let code = (helpers ? Self.helpers : "") + source
        let program = LuaProgram(
            entryID: EntryID(parsing: id), kind: kind, translatedSource: Array(code.utf8),
            method: kind == .library ? nil : method, modules: modules,
            imports: imports.map { ($0.0, EntryID(parsing: $0.1)) }, sourceFile: nil)
        runtime.install(program)
        return program
    }

    /// Reads something of a worker's Lua state on that worker's thread (its counters are confined to it).
    func onWorker<T: Sendable>(_ worker: Worker, _ read: @escaping @Sendable (LuaWorkerState) -> T) async -> T {
        await withCheckedContinuation { continuation in
            worker.perform { worker in continuation.resume(returning: read(worker.local as! LuaWorkerState)) }
        }
    }

    /// ``onWorker(_:_:)`` on the host's first worker.
    func onFirstWorker<T: Sendable>(_ read: @escaping @Sendable (LuaWorkerState) -> T) async -> T {
        await onWorker(host.workers[0], read)
    }

    // MARK: - Processes

    /// Spawns `id` from outside any process (round-robin over the workers); its result is recorded.
    @discardableResult
    func spawn(_ id: String, _ arguments: [Payload] = [], on target: ProcessHost? = nil) -> PID {
        guard let program = runtime.program(EntryID(parsing: id)) else {
            Issue.record("no program \(id)")
            return PID(host: "none", uniq: 0)
        }
        let results = self.results
        let options = SpawnOptions(onExit: { pid, result in results.map.withLock { $0[pid.uniq] = result } })
        return node.spawn(
            on: target ?? host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
    }

    /// Waits for the result of a process spawned with ``spawn(_:_:on:)``; nil (and an issue) if it never ends.
    func result(of pid: PID, timeout: Duration = LuaTestNode.hangGuard) async -> ProcessResult? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if let result = results.map.withLock({ $0[pid.uniq] }) { return result }
            try? await Task.sleep(for: .milliseconds(2))
        }
        // A waiter starved past the deadline (a busy test pool) looks once more before calling it a hang.
        if let result = results.map.withLock({ $0[pid.uniq] }) { return result }
        hung.store(true, ordering: .relaxed)
        Issue.record("process \(pid) did not finish (hang guard \(timeout))")
        return nil
    }

    /// Spawns `id` and waits for its result.
    func run(_ id: String, _ arguments: [Payload] = [], timeout: Duration = LuaTestNode.hangGuard) async -> ProcessResult? {
        await result(of: spawn(id, arguments), timeout: timeout)
    }

    private let counter = Atomic<Int>(0)

    /// Installs `source` under a fresh id and runs it.
    func run(source: String, _ arguments: [Payload] = [], timeout: Duration = LuaTestNode.hangGuard) async -> ProcessResult? {
        let id = "test:main\(counter.add(1, ordering: .relaxed).newValue)"
        install(id, source: source)
        return await run(id, arguments, timeout: timeout)
    }

    /// True once the process has ended.
    func hasEnded(_ pid: PID) -> Bool { results.map.withLock { $0[pid.uniq] != nil } }

    // MARK: - Messages from outside

    func send(_ pid: PID, topic: String, _ payloads: [Payload] = [], from: PID? = nil) {
        node.send(to: pid, .message(Message(from: from, topic: topic, payloads: payloads)))
    }

    /// A Swift process that records every mailbox item it receives.
    func collector() -> Collector {
        let collector = Collector()
        collector.pid = node.spawn(on: collectorHost, starter: CollectorStarter(collector: collector))
        collectors.withLock { $0.append(collector.pid) }
        return collector
    }

    /// Polls `condition` until it holds; false (and an issue) if it never does within the hang guard.
    func wait(_ what: String, timeout: Duration = LuaTestNode.hangGuard, until condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        // A waiter starved past the deadline (a busy test pool) looks once more before calling it a hang.
        if condition() { return true }
        hung.store(true, ordering: .relaxed)
        Issue.record("timed out waiting for \(what)")
        return false
    }
}

final class ResultStore: Sendable {
    let map = Mutex<[UInt64: ProcessResult]>([:])
}

/// Mailbox items received by a collector process, in arrival order.
final class Collector: @unchecked Sendable {
    enum Item: Sendable {
        case message(Message)
        case event(ProcessEvent)
    }

    var pid = PID(host: "none", uniq: 0)
    let items = Mutex<[Item]>([])

    var messages: [Message] {
        items.withLock { items in
            items.compactMap { if case .message(let m) = $0 { return m } else { return nil } }
        }
    }

    var topics: [String] { messages.map(\.topic) }
}

private final class CollectorBehavior: ProcessBehavior {
    let collector: Collector
    init(collector: Collector) { self.collector = collector }

    func run(_ process: ProcessCell) -> ProcessRunOutcome {
        while let item = process.takeFromMailbox(where: { _ in true }) { record(item) }
        return .blocked
    }

    func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
        record(item)
        return .taken(schedule: false)
    }

    private func record(_ item: MailboxItem) {
        switch item {
        case .message(let message): collector.items.withLock { $0.append(.message(message)) }
        case .event(let event): collector.items.withLock { $0.append(.event(event)) }
        }
    }

    func mailboxReceived(_ process: ProcessCell) -> Bool { true }
    func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }
    func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }
    func discard(_ process: ProcessCell) {}
}

private final class CollectorStarter: ProcessStarter {
    let collector: Collector
    init(collector: Collector) { self.collector = collector }
    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        CollectorBehavior(collector: collector)
    }
}

struct SilentLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .critical
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {}
}

/// Same lock file as the bridge tests' memory measurements (see WippyLuaTests/BridgeTestSupport.swift): runtime
/// tests hold it shared so that an exclusive RSS measurement never runs beside them.
enum RuntimeTestLock {
    static let path = "/tmp/wippy-swift-tests-memory.lock"

    static func acquire(exclusive: Bool) async -> Int32 {
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { return -1 }
        while flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return fd
    }

    static func release(_ fd: Int32) {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension ProcessResult {
    /// The result value as a string, or a description of what happened instead (for readable failures).
    var text: String {
        if let error { return "error: \(error.message)" }
        if case .string(let s) = value { return s }
        return "value: \(value)"
    }
}

extension Optional where Wrapped == ProcessResult {
    var text: String { self?.text ?? "<no result>" }
}

/// Releases a lock file descriptor exactly once, from whichever thread gets there first.
final class OnceRelease: Sendable {
    private let fd: Int32
    private let done = Mutex<Bool>(false)
    init(fd: Int32) { self.fd = fd }
    func release() {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { RuntimeTestLock.release(fd) }
    }
}

/// Runs `body` on a new detached pthread (for blocking calls such as `ProcessHost.stop`).
func detachThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if result == 0 { pthread_detach(thread) }
}
