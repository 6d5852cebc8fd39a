import Synchronization
import Testing
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// `ProcessHost.stop` must return even when one of its workers is held by a call that does not return (a
/// native stuck in C): shutdown cannot wait on it for ever.
@Suite struct HostStopTests {
    /// A process whose run does not return until the test lets it (as a native stuck in C would).
    final class Stuck: ProcessBehavior, ProcessStarter, @unchecked Sendable {
        let started = Atomic<Bool>(false)
        let released = Atomic<Bool>(false)

        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior { self }

        func run(_ process: ProcessCell) -> ProcessRunOutcome {
            started.store(true, ordering: .releasing)
            while !released.load(ordering: .acquiring) { usleep(1_000) }
            return .finished(ProcessResult())
        }

        func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome { .declined(schedule: false) }
        func mailboxReceived(_ process: ProcessCell) -> Bool { false }
        func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }
        func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }
        func discard(_ process: ProcessCell) {}
    }

    final class Flag: @unchecked Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Polls `condition` (a hang guard, not a time bound: a correct host answers in milliseconds).
    func wait(_ condition: () -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // A waiter starved past the deadline (a busy test pool) looks once more.
        return condition()
    }

    @Test func stopReturnsWhenAWorkerIsHeldByACallThatDoesNotReturn() async {
        let node = Node()
        let host = ProcessHost(id: "test:stuck", node: node, workerCount: 2)
        node.register(host: host)
        host.start()
        let stuck = Stuck()
        let exited = Flag()
        node.spawn(on: host, starter: stuck, options: SpawnOptions(onExit: { _, _ in exited.value.store(true, ordering: .releasing) }))
        #expect(await wait { stuck.started.load(ordering: .acquiring) })

        let returned = Flag()
        var thread = pthread_t()
        let context = Unmanaged.passRetained(StopRequest(host: host, returned: returned)).toOpaque()
        pthread_create(&thread, nil, { raw in
            let request = Unmanaged<StopRequest>.fromOpaque(raw!).takeRetainedValue()
            request.host.stop(timeout: .milliseconds(50))
            request.returned.value.store(true, ordering: .releasing)
            return nil
        }, context)
        pthread_detach(thread)
        #expect(await wait { returned.value.load(ordering: .acquiring) }, "ProcessHost.stop waited for the stuck worker")
        #expect(!host.isRunning)
        // let the left-behind worker end (it still uses the node)
        stuck.released.store(true, ordering: .releasing)
        #expect(await wait { exited.value.load(ordering: .acquiring) })
        withExtendedLifetime(node) {}
    }

    final class StopRequest: @unchecked Sendable {
        let host: ProcessHost
        let returned: Flag
        init(host: ProcessHost, returned: Flag) {
            self.host = host
            self.returned = returned
        }
    }
}
