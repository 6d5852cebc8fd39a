import Testing
@testable import WippyCore

/// An idle worker polls for a database server's answer only while that leaves the server a core for each
/// request it is working on (``Worker/serverSpinLeavesACore()``): the host's awaited server completions plus
/// one polling worker per worker that awaits one must fit in the machine's cores.
@Suite struct ServerSpinTests {
    @Test func pollingStopsWhenTheServersRequestsAndThePollersWouldOutnumberTheCores() {
        let host = ProcessHost(id: "test:spin", node: Node(), workerCount: 2)
        let first = host.workers[0]
        let second = host.workers[1]
        #expect(first.serverSpinLeavesACore())
        // One request and its poller: two cores' worth.
        first.expectCompletion(from: .server)
        #expect(first.serverSpinLeavesACore() == (Worker.cores >= 2))
        // Requests on both workers count together, and each worker that awaits one may poll.
        second.expectCompletion(from: .server)
        #expect(first.serverSpinLeavesACore() == (Worker.cores >= 4))
        // As many requests as cores leave none for polling, whoever awaits them.
        for _ in 0..<Worker.cores { first.expectCompletion(from: .server) }
        #expect(!first.serverSpinLeavesACore())
        #expect(!second.serverSpinLeavesACore())
        // Answers bring it back; nearby and other completions never count here.
        for _ in 0..<Worker.cores { first.completionArrived(from: .server) }
        second.completionArrived(from: .server)
        first.expectCompletion(from: .nearby)
        first.expectCompletion(from: .elsewhere)
        #expect(first.serverSpinLeavesACore() == (Worker.cores >= 2))
        #expect(first.awaitedServerCompletions == 1)
        #expect(first.awaitedNearbyCompletions == 1)
        first.completionArrived(from: .server)
        first.completionArrived(from: .nearby)
        first.completionArrived(from: .elsewhere)
        #expect(first.awaitedServerCompletions == 0 && first.awaitedNearbyCompletions == 0)
        #expect(first.serverSpinLeavesACore())
    }
}
