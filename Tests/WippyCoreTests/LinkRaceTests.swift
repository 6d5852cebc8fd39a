import Synchronization
import Testing
@testable import WippyCore

/// Issue 7, item 9: a link or monitor made while the target's exit is under way (marked exited, still in the
/// process table: the window between the two steps of `Node.processExited`) is refused, because that exit
/// will not look for it and no LINK_DOWN or EXIT would ever come.
@Suite struct LinkRaceTests {
    private final class NeverRuns: ProcessStarter {
        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
            throw WippyError.internal("the host is never started")
        }
    }

    /// Two processes on a host that never starts (so nothing runs), the second one in the middle of exiting.
    private func pair() -> (Node, PID, PID, ProcessHost) {
        let node = Node()
        let host = ProcessHost(id: "test:host", node: node, workerCount: 1)
        node.register(host: host)
        let a = node.spawn(on: host, starter: NeverRuns())
        let b = node.spawn(on: host, starter: NeverRuns())
        node.cellIfAlive(b)?.topologyFlags.bitwiseOr(Node.exited, ordering: .acquiringAndReleasing)
        return (node, a, b, host)
    }

    @Test func linkDuringTheTargetsExitIsRefused() {
        let (node, a, b, host) = pair()
        defer { _ = host }
        #expect(throws: WippyError.self) { try node.link(a, b) }
        #expect(throws: WippyError.self) { try node.link(b, a) }
        #expect(!node.isLinked(a, b))
    }

    @Test func monitorDuringTheTargetsExitIsRefused() {
        let (node, a, b, host) = pair()
        defer { _ = host }
        #expect(throws: WippyError.self) { try node.monitor(watcher: a, target: b) }
    }
}
