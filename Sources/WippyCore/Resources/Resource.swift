/// Something a registry entry opens and code acquires by the entry's ID: a database pool, a key-value
/// store, a queue driver, a directory. Made by the entry's kind when its service starts; installed in the
/// ``ResourceTable``.
///
/// A resource is shared by every process that acquires it, from any thread, so it must be thread-safe.
public protocol Resource: AnyObject, Sendable {
    /// The entry kind that made it (`db.sql.sqlite`), for errors and `db:type()`-like questions.
    var kind: String { get }

    /// Frees what the resource holds (connections, files, threads). Called exactly once, after the resource
    /// was replaced or removed and the last lease on it was released; never while a lease holds it. It may
    /// be called on any thread and must not block for long: hand slow shutdowns to another thread.
    func close()
}
