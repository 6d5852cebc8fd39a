import GRDB
import Synchronization

/// Moves committed pages from the write-ahead log into the database file on a connection of its own, so the
/// journal writer never stops to do it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the committing
/// connection: with a thousand workflows per batch that was a fifth of the writer's time. Here the writer
/// asks for a PASSIVE checkpoint after each commit; one runs at a time on this connection's queue (GRDB's
/// serial dispatch queue), concurrently with the next commit, and later requests made while one runs are
/// folded into it. The writer keeps SQLite's automatic checkpoint only as a backstop, with a high
/// threshold, in case this one falls behind.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let running = Atomic<Bool>(false)
    private let again = Atomic<Bool>(false)

    init(connection: DatabaseQueue) {
        self.connection = connection
    }

    /// Starts a checkpoint unless one is running (then it runs once more when that one ends).
    func request() {
        again.store(true, ordering: .releasing)
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        connection.asyncWriteWithoutTransaction { [self] db in
            while again.exchange(false, ordering: .acquiringAndReleasing) {
                // Busy or failed checkpoints are harmless: the next request (or the backstop) does the work.
                _ = try? db.checkpoint(.passive)
            }
            running.store(false, ordering: .releasing)
            // A request that came between the loop's last check and the store above starts a new round.
            if again.load(ordering: .acquiring) { request() }
        }
    }

    /// Waits for a running checkpoint and closes the connection.
    func close() {
        try? connection.close()
    }
}
