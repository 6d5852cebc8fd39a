import WippyCore
import WippyResources
import WippyRuntime

/// What a Store object holds: the lease on the store resource, released by `s:release()` or at the end of
/// the invocation that acquired it (whichever comes first). Touched only on the owning process's worker.
final class StoreHandle {
    let id: EntryID
    let store: any KeyValueStore
    private var lease: ResourceLease?
    private var cleanup: (process: LuaProcess, key: UInt64)?

    init(id: EntryID, store: any KeyValueStore, lease: ResourceLease, process: LuaProcess) {
        self.id = id
        self.store = store
        self.lease = lease
        cleanup = nil
        let key = process.addCleanup { [weak self] in self?.releaseLease() }
        cleanup = (process, key)
    }

    var isReleased: Bool { lease == nil }

    /// Releases the lease (idempotent) and forgets the end-of-invocation cleanup.
    func release() {
        if let (process, key) = cleanup { process.cancelCleanup(key) }
        releaseLease()
    }

    private func releaseLease() {
        cleanup = nil
        lease?.release()
        lease = nil
    }

    deinit { lease?.release() }
}
