import Synchronization

/// The local node: allocates PIDs, knows every live process and host, routes messages and lifecycle events.
///
/// Thread-safe: any thread may spawn, send, monitor or link. Work on a process always ends up on its
/// worker's thread.
public final class Node: Sendable {
    /// The node name used in PIDs; empty means the local default (PIDs print as `{host|uniq}`).
    public let name: String
    public let names = NameRegistry()
    let table = ProcessTable()
    let topology = Topology()
    private let counter = Atomic<UInt64>(0)
    private let hosts = Mutex<[String: ProcessHost]>([:])
    /// Told of each process that failed with nobody to tell (see ``reportUnobservedFailures(to:)``).
    private let failureReporter = Mutex<(@Sendable (PID, WippyError) -> Void)?>(nil)

    static let hasNames: UInt8 = 1
    static let hasLinksOrWatchers: UInt8 = 2
    static let exited: UInt8 = 4
    /// The upper bits of a cell's flags hold its home worker's index + 1 once it moved (0: never moved), so
    /// only processes of the first ``movableWorkers`` workers of a host move.
    static let homeShift: UInt8 = 3
    static let movableWorkers = 31

    public init(name: String = "") {
        self.name = name
    }

    // MARK: - Hosts

    public func register(host: ProcessHost) {
        hosts.withLock { $0[host.id] = host }
    }

    public func unregister(hostID: String) {
        _ = hosts.withLock { $0.removeValue(forKey: hostID) }
    }

    public func host(_ id: String) -> ProcessHost? {
        hosts.withLock { $0[id] }
    }

    public var hostIDs: [String] { hosts.withLock { Array($0.keys).sorted() } }

    // MARK: - Spawning

    /// Allocates a PID on `hostLabel` without a process (for control-plane identities such as supervisors).
    public func allocatePID(host hostLabel: String) -> PID {
        PID(node: name, host: hostLabel, uniq: counter.add(1, ordering: .relaxed).newValue)
    }

    /// Creates a process on `host` and returns its PID at once; it starts running on its worker soon after.
    ///
    /// With `options.name` set and the name already taken, nothing is spawned and the holder's PID is
    /// returned (spawn-or-signal); `initialMessages` go to whichever process ends up with the name.
    /// `worker`, when given, is one of `host`'s workers chosen by the caller (``ProcessHost/pickWorker()``),
    /// for a starter prepared for that worker; it must not be combined with `options.name`.
    @discardableResult
    public func spawn(
        on host: ProcessHost,
        starter: any ProcessStarter,
        options: SpawnOptions = SpawnOptions(),
        hostLabel: String? = nil,
        initialMessages: [Message] = [],
        pid fixedPID: PID? = nil,
        worker pickedWorker: Worker? = nil
    ) -> PID {
        // A fixed PID is a workflow's (``WorkflowIdentity``): the same PID whichever process carries the run.
        let pid = fixedPID ?? PID(node: name, host: hostLabel ?? host.id, uniq: counter.add(1, ordering: .relaxed).newValue)
        if let processName = options.name, let holder = names.registerOrLookup(processName, pid: pid) {
            for message in initialMessages { _ = send(to: holder, .message(message)) }
            return holder
        }
        let worker = pickedWorker ?? host.pickWorker()
        let cell = ProcessCell(pid: pid, worker: worker, onExit: options.onExit, starter: starter)
        // Initial messages go into the mailbox before the cell can be found, so they come before anything
        // else sent to the new process (no other thread can touch the cell yet).
        for message in initialMessages { cell.appendToMailbox(.message(message)) }
        if options.name != nil { cell.topologyFlags.bitwiseOr(Node.hasNames, ordering: .relaxed) }
        table.insert(cell)
        // Checked first: most spawns neither monitor nor link, and then the parent's PID is not copied.
        if options.monitor || options.link, let parent = options.parent {
            if options.monitor {
                _ = topology.monitor(watcher: parent, target: pid)
                cell.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .relaxed)
            }
            if options.link {
                topology.link(parent, pid)
                cell.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .relaxed)
                table.cell(for: parent)?.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .relaxed)
            }
        }
        worker.start(cell)
        return pid
    }

    /// The plainest spawn, from a process running on `worker`'s own thread onto that worker: no name, parent
    /// link or monitor, exit handler or initial message (what ``spawn(on:starter:options:hostLabel:initialMessages:pid:worker:)``
    /// would do with default options, without building and destroying a ``SpawnOptions`` or looking at its
    /// parts: the spawn loop of a process pays for each of those per child).
    public func spawnHere(on host: ProcessHost, starter: any ProcessStarter, worker: Worker) -> PID {
        worker.assertCurrent()
        let pid = PID(node: name, host: host.id, uniq: counter.add(1, ordering: .relaxed).newValue)
        let cell = ProcessCell(pid: pid, worker: worker, onExit: nil, starter: starter)
        table.insert(cell)
        worker.startHere(cell)
        return pid
    }

    // MARK: - Workflow gateways

    private let gateways = Mutex<[String: any WorkflowGateway]>([:])

    /// Routes workflow PIDs of `host` that have no live process to `gateway` (a workflow engine).
    public func register(gateway: any WorkflowGateway, forHost host: String) {
        WorkflowIdentity.register(host: host)
        gateways.withLock { $0[host] = gateway }
    }

    public func unregisterGateway(forHost host: String) {
        WorkflowIdentity.unregister(host: host)
        _ = gateways.withLock { $0.removeValue(forKey: host) }
    }

    /// The workflow engine serving `host`, if it is a workflow host.
    public func gateway(forHost host: String) -> (any WorkflowGateway)? { gateways.withLock { $0[host] } }

    // MARK: - Routing

    /// The cell of `pid` if it is alive.
    public func cellIfAlive(_ pid: PID) -> ProcessCell? { table.cell(for: pid) }

    /// True if `pid` is a live process of this node.
    public func isAlive(_ pid: PID) -> Bool { table.cell(for: pid) != nil }

    /// Number of live processes.
    public var processCount: Int { table.count }

    /// Delivers a mailbox item; false when no such process exists.
    @discardableResult
    public func send(to pid: PID, _ item: MailboxItem) -> Bool {
        guard let cell = table.cell(for: pid) else { return false }
        cell.worker.deliver(item, to: cell)
        return true
    }

    /// The live process named by PID text or, failing that, by a registered name; no allocation when the text
    /// is the PID of a live process.
    public func cell(forDestination text: UnsafeRawBufferPointer) -> ProcessCell? {
        if let parts = PID.parts(of: text) {
            guard let cell = table.cell(uniq: parts.uniq), cell.pid.matches(text, parts) else { return nil }
            return cell
        }
        guard let pid = names.lookup(String(decoding: text, as: UTF8.self)) else { return nil }
        return table.cell(for: pid)
    }

    /// Delivers a mailbox item to a known live process (directly when the caller runs on its worker).
    public func send(to cell: ProcessCell, _ item: MailboxItem) {
        cell.worker.deliver(item, to: cell)
    }

    /// Delivers a mailbox item from a process running on `senderWorker`'s thread: no thread lookup.
    public func send(to cell: ProcessCell, _ item: consuming MailboxItem, fromWorker senderWorker: Worker) {
        let current = cell.worker
        if current === senderWorker {
            senderWorker.deliverFromHere(item, to: cell)
            return
        }
        let target = cell.postTarget(current)
        // The home of a moved process posts its own messages straight to the runner: none of them waits in
        // the home's queue (before the move they went into the mailbox, which moved along).
        (target === senderWorker ? current : target).inbox.post(.deliver(cell, item))
    }

    /// Resolves a destination: a PID string, else a registered name.
    public func resolve(_ destination: String) -> PID? {
        if destination.hasPrefix("{"), let pid = PID(parsing: destination) { return pid }
        return names.lookup(destination)
    }

    /// Forcibly ends a process ("process terminated"); false when it does not exist.
    @discardableResult
    public func terminate(_ pid: PID, result: ProcessResult = .terminated) -> Bool {
        guard let cell = table.cell(for: pid) else { return false }
        cell.worker.post(.terminate(cell, result))
        return true
    }

    /// Delivers a CANCEL event; false when the process does not exist.
    @discardableResult
    public func cancel(_ pid: PID, from: PID?, reason: String) -> Bool {
        send(to: pid, .event(.cancel(from: from, reason: reason)))
    }

    // MARK: - Names

    /// Registers a local name for a live process.
    public func register(name processName: String, for pid: PID) throws(WippyError) {
        guard let cell = table.cell(for: pid) else { throw WippyError.notFound("pid not registered") }
        try names.register(processName, pid: pid)
        cell.topologyFlags.bitwiseOr(Node.hasNames, ordering: .relaxed)
    }

    // MARK: - Monitors and links

    public func monitor(watcher: PID, target: PID) throws(WippyError) {
        guard let cell = table.cell(for: target) else { throw WippyError.notFound("pid not registered") }
        guard topology.monitor(watcher: watcher, target: target) else {
            throw WippyError.alreadyExists("already monitoring pid")
        }
        // The target may have exited between the lookup and the registration (see `link`): then the monitor is
        // refused, unless the exit found it anyway and an EXIT is on its way.
        let flags = cell.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .acquiringAndReleasing).oldValue
        if flags & Node.exited != 0, topology.unmonitor(watcher: watcher, target: target) {
            throw WippyError.notFound("pid not registered")
        }
    }

    @discardableResult
    public func unmonitor(watcher: PID, target: PID) -> Bool {
        topology.unmonitor(watcher: watcher, target: target)
    }

    /// Removes and returns the monitors of `target` (a workflow run leaving memory keeps its watchers with
    /// its engine, which attaches them again when the run comes back, so they see EXIT only when it ends).
    public func takeWatchers(of target: PID) -> [PID] {
        topology.takeWatchers(of: target)
    }

    /// Links two live processes; `NotFound` ("pid not registered") when either has exited or is exiting, so
    /// a link is either reported as failed or its LINK_DOWN comes, never neither.
    public func link(_ a: PID, _ b: PID) throws(WippyError) {
        guard let cellA = table.cell(for: a), let cellB = table.cell(for: b) else {
            throw WippyError.notFound("pid not registered")
        }
        topology.link(a, b)
        // The flag and the exit mark are one atomic word: whichever comes second sees the other. An exit that
        // came first did not look for links (or may have missed this one), so the link is undone and refused;
        // one that comes after finds it and sends LINK_DOWN.
        let flagsA = cellA.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .acquiringAndReleasing).oldValue
        let flagsB = cellB.topologyFlags.bitwiseOr(Node.hasLinksOrWatchers, ordering: .acquiringAndReleasing).oldValue
        if (flagsA | flagsB) & Node.exited != 0 {
            topology.unlink(a, b)
            throw WippyError.notFound("pid not registered")
        }
    }

    /// Removes the link; a LINK_DOWN from `b` already on its way to `a` (or the other way) then has no effect.
    public func unlink(_ a: PID, _ b: PID) {
        topology.unlink(a, b)
    }

    /// Called when a LINK_DOWN from `from` reaches `receiver`: true if it counts (they were still linked),
    /// false if `receiver` unlinked since, when the LINK_DOWN must be ignored.
    public func takeLinkDown(receiver: PID, from: PID) -> Bool {
        topology.takeLinkDown(receiver: receiver, from: from)
    }

    /// True while `a` and `b` are linked (for tests and diagnostics).
    public func isLinked(_ a: PID, _ b: PID) -> Bool { topology.isLinked(a, b) }

    // MARK: - Exit

    /// Called by a worker when one of its processes ended.
    func processExited(_ cell: ProcessCell, result: ProcessResult) {
        let flags = cell.topologyFlags.bitwiseOr(Node.exited, ordering: .acquiringAndReleasing).oldValue
        table.remove(cell.pid)
        if flags & Node.hasNames != 0 { names.release(cell.pid) }
        if flags & Node.hasLinksOrWatchers != 0 {
            let (watchers, links) = topology.remove(cell.pid, notifyingLinks: result.isError)
            for watcher in watchers { send(to: watcher, .event(.exit(from: cell.pid, result: result))) }
            if result.isError {
                for linked in links { send(to: linked, .event(.linkDown(from: cell.pid, result: result))) }
            }
        }
        if let onExit = cell.onExit {
            onExit(cell.pid, result)
        } else if let error = result.error, flags & Node.hasLinksOrWatchers == 0, result != .terminated {
            failureReporter.withLock { $0 }?(cell.pid, error)
        }
    }

    /// `reporter` is told of every process that fails with no monitor, link or exit handler to tell (the
    /// application logs them, so that a crash is never silent); not of processes terminated on purpose.
    public func reportUnobservedFailures(to reporter: @escaping @Sendable (PID, WippyError) -> Void) {
        failureReporter.withLock { $0 = reporter }
    }

    /// Live processes placed on `worker` (a scan of every process of the node).
    public func processes(on worker: Worker) -> [ProcessCell] {
        table.cells { $0.worker === worker }
    }
}
