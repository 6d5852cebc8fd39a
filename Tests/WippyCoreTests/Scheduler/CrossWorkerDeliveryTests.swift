import Synchronization
import Testing
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Messages between threads go through the receiving worker's lock-free inbox, drained in batches: senders on
/// other threads (plain threads and processes on other workers) each keep their order, and nothing is lost or
/// duplicated. A child spawned from its parent's worker is started there at once.
@Suite struct CrossWorkerDeliveryTests {
    /// Records every message it is offered: per sender (the topic), the next expected sequence number.
    final class Receiver: ProcessBehavior, ProcessStarter, @unchecked Sendable {
        let senders: Int
        /// Worker thread only while running; read by the test once `received` says everything arrived.
        var next: [Int]
        let outOfOrder = Atomic<Int>(0)
        let received = Atomic<Int>(0)
        init(senders: Int) {
            self.senders = senders
            next = Array(repeating: 0, count: senders)
        }

        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior { self }
        /// Items that arrived before the behaviour existed (a sender found the cell before its start was
        /// handled) wait in the mailbox, oldest first: they are taken here, in that order.
        func run(_ process: ProcessCell) -> ProcessRunOutcome {
            while let item = process.takeFromMailbox(where: { _ in true }) { _ = offer(item, to: process) }
            return .blocked
        }
        func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
            guard case .message(let message) = item, let sender = Int(message.topic),
                case .int(let sequence)? = message.payloads.first
            else { return .taken(schedule: false) }
            if Int(sequence) != next[sender] { outOfOrder.add(1, ordering: .relaxed) }
            next[sender] = Int(sequence) + 1
            received.add(1, ordering: .releasing)
            return .taken(schedule: false)
        }
        func mailboxReceived(_ process: ProcessCell) -> Bool { !process.mailbox.isEmpty }
        func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }
        func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }
        func discard(_ process: ProcessCell) {}
    }

    /// A process that sends `count` numbered messages to each target from its worker, in one run; a plain
    /// thread sends the same through ``sendFromThread()``.
    final class Sender: ProcessBehavior, ProcessStarter, @unchecked Sendable {
        let node: Node
        let id: Int
        let targets: [PID]
        let count: Int
        init(node: Node, id: Int, targets: [PID], count: Int) {
            self.node = node
            self.id = id
            self.targets = targets
            self.count = count
        }

        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior { self }
        func run(_ process: ProcessCell) -> ProcessRunOutcome {
            let cells = targets.compactMap { node.cellIfAlive($0) }
            for sequence in 0..<count {
                for cell in cells {
                    let message = Message(from: process.pid, topic: String(id), payloads: [.int(Int64(sequence))])
                    node.send(to: cell, .message(message), fromWorker: process.worker)
                }
            }
            return .finished(ProcessResult())
        }
        /// The same messages, sent by PID from a thread that is no worker's.
        func sendFromThread() {
            for sequence in 0..<count {
                for pid in targets {
                    let message = Message(from: nil, topic: String(id), payloads: [.int(Int64(sequence))])
                    _ = node.send(to: pid, .message(message))
                }
            }
        }
        func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome { .declined(schedule: false) }
        func mailboxReceived(_ process: ProcessCell) -> Bool { false }
        func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }
        func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }
        func discard(_ process: ProcessCell) {}
    }

    /// Polls `condition` (a hang guard, not a time bound: a correct host answers in milliseconds).
    func wait(_ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition()
    }

    /// Three plain threads and three processes (spread over both workers) each send 3 000 numbered messages
    /// to each of four receivers on the two workers, all at once: every receiver gets every message, each
    /// sender's in the order it sent them.
    @Test func sendersOnManyThreadsKeepTheirOrderAndLoseNothing() async {
        let node = Node()
        let host = ProcessHost(id: "test:crossworker", node: node, workerCount: 2)
        node.register(host: host)
        host.start()
        // The processes here wait for ever: stopping terminates them after a short grace.
        defer { host.stop(timeout: .milliseconds(100)) }
        let threadSenders = 3
        let processSenders = 3
        let senders = threadSenders + processSenders
        let count = 3_000
        // Spawned from outside the host: placed round-robin, so both workers get receivers.
        let receivers = (0..<4).map { _ in Receiver(senders: senders) }
        let pids = receivers.map { node.spawn(on: host, starter: $0) }
        for pid in pids { #expect(await wait { node.isAlive(pid) }) }

        var threads: [pthread_t] = []
        for id in 0..<threadSenders {
            var thread = pthread_t()
            let job = Sender(node: node, id: id, targets: pids, count: count)
            pthread_create(&thread, nil, { raw in
                Unmanaged<Sender>.fromOpaque(raw!).takeRetainedValue().sendFromThread()
                return nil
            }, Unmanaged.passRetained(job).toOpaque())
            threads.append(thread)
        }
        for id in threadSenders..<senders {
            node.spawn(on: host, starter: Sender(node: node, id: id, targets: pids, count: count))
        }
        for thread in threads { pthread_join(thread, nil) }

        let expected = senders * count
        for receiver in receivers {
            #expect(await wait { receiver.received.load(ordering: .acquiring) >= expected })
        }
        // Both workers held receivers (otherwise nothing crossed between workers).
        #expect(Set(pids.compactMap { node.cellIfAlive($0)?.worker.index }).count == 2)
        // A duplicate would show as a count past `expected` or a number out of order.
        for receiver in receivers {
            #expect(receiver.received.load(ordering: .acquiring) == expected)
            #expect(receiver.outOfOrder.load(ordering: .relaxed) == 0)
        }
    }

    /// A parent that spawns a child from its own worker and looks at the worker's process count right away.
    final class Parent: ProcessBehavior, ProcessStarter, @unchecked Sendable {
        let node: Node
        let host: ProcessHost
        let child: Receiver
        let countBefore = Atomic<Int>(-1)
        let countAfter = Atomic<Int>(-1)
        let childWorker = Atomic<Int>(-1)
        let parentWorker = Atomic<Int>(-1)
        let childPID = Mutex<PID?>(nil)
        init(node: Node, host: ProcessHost, child: Receiver) {
            self.node = node
            self.host = host
            self.child = child
        }

        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior { self }
        func run(_ process: ProcessCell) -> ProcessRunOutcome {
            let worker = process.worker
            countBefore.store(worker.processCount, ordering: .relaxed)
            let pid = node.spawn(on: host, starter: child)
            countAfter.store(worker.processCount, ordering: .relaxed)
            parentWorker.store(worker.index, ordering: .relaxed)
            childPID.withLock { $0 = pid }
            childWorker.store(node.cellIfAlive(pid)?.worker.index ?? -2, ordering: .releasing)
            return .blocked
        }
        func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome { .declined(schedule: false) }
        func mailboxReceived(_ process: ProcessCell) -> Bool { false }
        func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }
        func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }
        func discard(_ process: ProcessCell) {}
    }

    /// The child of a process is placed on the parent's worker and started there during the spawn itself
    /// (counted at once), not after the parent's run; it then takes messages like any process.
    @Test func aChildSpawnedOnItsParentsWorkerIsStartedDuringTheSpawn() async {
        let node = Node()
        let host = ProcessHost(id: "test:localstart", node: node, workerCount: 1)
        node.register(host: host)
        host.start()
        // The processes here wait for ever: stopping terminates them after a short grace.
        defer { host.stop(timeout: .milliseconds(100)) }
        let child = Receiver(senders: 1)
        let parent = Parent(node: node, host: host, child: child)
        node.spawn(on: host, starter: parent)
        #expect(await wait { parent.childWorker.load(ordering: .acquiring) != -1 })
        #expect(parent.childWorker.load(ordering: .relaxed) == parent.parentWorker.load(ordering: .relaxed))
        #expect(parent.countAfter.load(ordering: .relaxed) == parent.countBefore.load(ordering: .relaxed) + 1)
        // The started child receives.
        let childPID = parent.childPID.withLock { $0 }
        #expect(childPID != nil)
        if let childPID {
            _ = node.send(to: childPID, .message(Message(from: nil, topic: "0", payloads: [.int(0)])))
            #expect(await wait { child.received.load(ordering: .acquiring) == 1 })
        }
    }
}
