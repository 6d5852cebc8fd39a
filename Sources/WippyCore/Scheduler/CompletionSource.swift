/// Where a completion a process awaits comes from, which decides how long its idle worker polls for it
/// before parking (``Worker/spinForWork(until:)``). Parking costs nothing while it waits, but the wake-up
/// that ends it (a futex wake of a sleeping thread) costs tens of microseconds on a VM: for an answer due
/// within a fraction of a millisecond, polling is the faster wait.
public enum CompletionSource: Sendable {
    /// Anywhere else (the network, a child process, a timer): no polling for it.
    case elsewhere
    /// Work another thread of this program is doing now, on the CPU and the local disk (an SQLite
    /// statement on its executor): polled for whenever it is due.
    case nearby
    /// A database server's answer to a short request (a PostgreSQL round trip): polled for only while a
    /// core stays free for the server (``Worker/serverSpinLeavesACore()``), since on a small machine the
    /// polling core is the one the server would answer with.
    case server
}
