import Synchronization

/// The open resources of the application, by entry ID: where `sql.get`, `store.get` and the like acquire
/// them, and where the resource kinds install, replace and remove them as their entries change.
///
/// Live swap: ``install(_:_:)`` over an existing resource makes new acquisitions get the new one, while the
/// leases already taken keep the old one open; the old one is closed when its last lease is released.
/// A resource whose start failed is recorded with the reason (``fail(_:kind:reason:)``), so acquiring it
/// says why rather than "not found". Thread-safe.
public final class ResourceTable: Sendable {
    private enum Slot {
        case ready(ResourceHolder)
        case failed(kind: String, reason: String)
        /// Declared, and not started yet (or restarting with no resource to serve meanwhile); `needs` is the
        /// resource it opens on (a store's database), whose failure explains the wait.
        case starting(kind: String, needs: EntryID?)
    }

    private struct State {
        var slots: [EntryID: Slot] = [:]
        var generations: [EntryID: UInt64] = [:]
        /// Called once the entry's slot is no longer `starting` (``whenStarted(_:_:)``).
        var startWaiters: [EntryID: [@Sendable () -> Void]] = [:]
    }

    /// Takes the waiters of `id` when its slot left `starting`; call them outside the lock.
    private static func settledWaiters(_ id: EntryID, _ state: inout State) -> [@Sendable () -> Void] {
        if case .starting? = state.slots[id] { return [] }
        return state.startWaiters.removeValue(forKey: id) ?? []
    }

    /// Calls `action` (on any thread) once `id` is no longer starting: opened, failed or removed; at once
    /// when it is not starting now. How a caller waits for a resource that is being opened.
    public func whenStarted(_ id: EntryID, _ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            guard case .starting? = state.slots[id] else { return true }
            state.startWaiters[id, default: []].append(action)
            return false
        }
        if now { action() }
    }

    private let state = Mutex(State())

    public init() {}

    /// Makes `resource` the one served under `id`. A resource installed before is retired: it closes once
    /// the leases on it are released.
    public func install(_ id: EntryID, _ resource: any Resource) {
        let (previous, waiters) = state.withLock { state -> (ResourceHolder?, [@Sendable () -> Void]) in
            let generation = (state.generations[id] ?? 0) + 1
            state.generations[id] = generation
            let previous = state.slots[id]
            state.slots[id] = .ready(ResourceHolder(resource, generation: generation))
            let waiters = Self.settledWaiters(id, &state)
            if case .ready(let holder)? = previous { return (holder, waiters) }
            return (nil, waiters)
        }
        previous?.retire()
        for waiter in waiters { waiter() }
    }

    /// Records that `id` is declared but has no open resource yet (its service is starting). Keeps a
    /// resource that is already open: it goes on serving until it is replaced.
    public func declare(_ id: EntryID, kind: String, needs: EntryID? = nil) {
        state.withLock { state in
            switch state.slots[id] {
            case .ready?: break
            default: state.slots[id] = .starting(kind: kind, needs: needs)
            }
        }
    }

    /// Records that `id` could not be opened, and why. A resource already open under `id` is retired (its
    /// entry changed to settings that do not work: new acquisitions get the failure).
    public func fail(_ id: EntryID, kind: String, reason: String) {
        let (previous, waiters) = state.withLock { state -> (ResourceHolder?, [@Sendable () -> Void]) in
            let previous = state.slots[id]
            state.slots[id] = .failed(kind: kind, reason: reason)
            let waiters = Self.settledWaiters(id, &state)
            if case .ready(let holder)? = previous { return (holder, waiters) }
            return (nil, waiters)
        }
        previous?.retire()
        for waiter in waiters { waiter() }
    }

    /// Stops serving `id`: later acquisitions fail with `NotFound`; the resource closes when its leases are
    /// released.
    public func remove(_ id: EntryID) {
        let (previous, waiters) = state.withLock { state -> (ResourceHolder?, [@Sendable () -> Void]) in
            let removed = state.slots.removeValue(forKey: id)
            let waiters = Self.settledWaiters(id, &state)
            guard case .ready(let holder)? = removed else { return (nil, waiters) }
            return (holder, waiters)
        }
        previous?.retire()
        for waiter in waiters { waiter() }
    }

    /// Acquires the resource of `id`; release the lease when done with it.
    ///
    /// - Throws: `NotFound` when no such resource is declared; `Unavailable` naming the entry and the reason
    ///   when it failed to start or has not started yet.
    public func acquire(_ id: EntryID) throws(WippyError) -> ResourceLease {
        // A retire can race with the lease (a swap between reading the slot and counting): read again.
        while true {
            let slot = state.withLock { $0.slots[id] }
            switch slot {
            case .ready(let holder)?:
                if holder.lease() { return ResourceLease(id: id, holder: holder) }
                continue
            case .failed(let kind, let reason)?:
                throw WippyError.unavailable("resource \(id) (\(kind)) is not available: \(reason)")
            case .starting(let kind, let needs)?:
                if let needs, let reason = failure(needs) {
                    throw WippyError.unavailable("resource \(id) (\(kind)) is not available: \(needs) could not start: \(reason)")
                }
                throw WippyError.unavailable("resource \(id) (\(kind)) is not started yet")
            case nil:
                throw WippyError.notFound("resource not found: \(id)")
            }
        }
    }

    /// Acquires the resource of `id` as `type`.
    ///
    /// - Throws: as ``acquire(_:)``, and `Invalid` when the entry is another kind of resource (`what` names
    ///   the kind expected, as in "not a SQL database").
    public func acquire<R>(_ id: EntryID, as type: R.Type, what: String) throws(WippyError) -> (lease: ResourceLease, resource: R) {
        let lease = try acquire(id)
        guard let resource = lease.resource as? R else {
            lease.release()
            throw WippyError.invalid("\(id) is a \(lease.resource.kind) entry, not \(what)")
        }
        return (lease, resource)
    }

    /// The resource served under `id` without taking a lease (for status and tests): it may be replaced and
    /// closed at any moment.
    public func current(_ id: EntryID) -> (any Resource)? {
        state.withLock { state in
            if case .ready(let holder)? = state.slots[id] { return holder.resource }
            return nil
        }
    }

    /// The leases held on the resource served under `id` (0 when none is open).
    public func leaseCount(_ id: EntryID) -> Int {
        let holder = state.withLock { state -> ResourceHolder? in
            if case .ready(let holder)? = state.slots[id] { return holder }
            return nil
        }
        return holder?.leaseCount ?? 0
    }

    /// The reason `id` failed to start, nil when it did not fail.
    public func failure(_ id: EntryID) -> String? {
        state.withLock { state in
            if case .failed(_, let reason)? = state.slots[id] { return reason }
            return nil
        }
    }

    /// Every declared ID.
    public var ids: [EntryID] { state.withLock { Array($0.slots.keys) } }
}

extension ResourceTable {
    /// Stops serving every resource (the application stops); each closes once its leases are released.
    public func removeAll() {
        for id in ids { remove(id) }
    }
}
