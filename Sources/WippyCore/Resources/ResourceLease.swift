import Synchronization

/// One acquisition of a resource (``ResourceTable/acquire(_:)``): keeps the resource open until
/// ``release()``, even when its entry is changed or removed meanwhile (work in flight finishes on the
/// resource it started on).
///
/// ``release()`` is idempotent; a lease that is freed without being released releases itself, so a
/// forgotten lease never keeps a replaced resource open for ever. Thread-safe.
public final class ResourceLease: Sendable {
    public let resource: any Resource
    /// The entry the resource was acquired under.
    public let id: EntryID
    /// Which installation of the entry this is (1 for the first; each change adds one).
    public let generation: UInt64
    private let holder: ResourceHolder
    private let released = Atomic<Bool>(false)

    init(id: EntryID, holder: ResourceHolder) {
        self.id = id
        self.holder = holder
        self.resource = holder.resource
        self.generation = holder.generation
    }

    deinit { release() }

    /// The resource as `type`, nil when it is another kind of resource.
    public func resource<R>(as type: R.Type) -> R? { resource as? R }

    /// True once released.
    public var isReleased: Bool { released.load(ordering: .acquiring) }

    /// Gives the resource back; the last release of a replaced or removed resource closes it.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        holder.unlease()
    }
}

/// One installed resource with its lease count: closes it when it is retired and no lease remains.
final class ResourceHolder: Sendable {
    private struct State {
        var leases = 0
        var retired = false
        var closed = false
    }

    let resource: any Resource
    let generation: UInt64
    private let state = Mutex(State())

    init(_ resource: any Resource, generation: UInt64) {
        self.resource = resource
        self.generation = generation
    }

    /// Counts one lease; false when the resource was retired meanwhile (no lease is taken then).
    func lease() -> Bool {
        state.withLock { state in
            guard !state.retired else { return false }
            state.leases += 1
            return true
        }
    }

    func unlease() {
        let close = state.withLock { state -> Bool in
            state.leases -= 1
            return Self.takeClose(&state)
        }
        if close { resource.close() }
    }

    /// No new lease from now on; closes at once when none is held.
    func retire() {
        let close = state.withLock { state -> Bool in
            state.retired = true
            return Self.takeClose(&state)
        }
        if close { resource.close() }
    }

    var leaseCount: Int { state.withLock { $0.leases } }

    private static func takeClose(_ state: inout State) -> Bool {
        guard state.retired, state.leases == 0, !state.closed else { return false }
        state.closed = true
        return true
    }
}
