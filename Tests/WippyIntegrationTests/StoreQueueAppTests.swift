import Foundation
import Testing

/// End to end with the real `wippy` binary (issue 9 item 5): a task queue (producer → `queue` → four
/// consumers, failed attempts redelivered, results kept in `store.memory` and listed back page by page) and a
/// TTL cache in front of a function.
@Suite struct StoreQueueAppTests {
    @Test func taskQueueAndCache() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: WippyBinary.fixture("taskqueue"))
        let sums = (1...30).map { String($0 * 2 + 1) }.joined(separator: " ")
        #expect(run.stdout == """
            30 results: \(sums)
            redelivered: retried:10 retried:15 retried:20 retried:25 retried:30 retried:5
            not data: cannot publish a function (at data)
            bad key: store key must be a string (got number)
            ADA, ADA (cached), BOB, EVE, EVE (expired, recomputed)

            """)
        #expect(run.status == 0)
    }
}
