import Synchronization

/// The node-local name registry (scope LOCAL): name → PID, released when the owner exits.
public final class NameRegistry: Sendable {
    private struct State {
        var byName: [String: PID] = [:]
        var byOwner: [PID: [String]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers `name` for `pid`. Idempotent for the same PID; fails with AlreadyExists when another
    /// process holds the name (`details.pid` is the holder).
    public func register(_ name: String, pid: PID) throws(WippyError) {
        let holder: PID? = state.withLock { state in
            if let existing = state.byName[name] { return existing == pid ? nil : existing }
            state.byName[name] = pid
            state.byOwner[pid, default: []].append(name)
            return nil
        }
        if let holder {
            throw WippyError(
                "name already registered", kind: .alreadyExists, retryable: false,
                details: .map([("pid", .string(holder.description)), ("name", .string(name))]))
        }
    }

    /// Registers `name` unless it is taken; returns the current holder when it is.
    public func registerOrLookup(_ name: String, pid: PID) -> PID? {
        state.withLock { state in
            if let existing = state.byName[name] { return existing == pid ? nil : existing }
            state.byName[name] = pid
            state.byOwner[pid, default: []].append(name)
            return nil
        }
    }

    public func lookup(_ name: String) -> PID? {
        state.withLock { $0.byName[name] }
    }

    /// Removes `name`; true if it was registered (to anyone).
    @discardableResult
    public func unregister(_ name: String) -> Bool {
        state.withLock { state in
            guard let owner = state.byName.removeValue(forKey: name) else { return false }
            state.byOwner[owner]?.removeAll { $0 == name }
            if state.byOwner[owner]?.isEmpty == true { state.byOwner[owner] = nil }
            return true
        }
    }

    /// Removes every name held by `pid`.
    func release(_ pid: PID) {
        state.withLock { state in
            guard let names = state.byOwner.removeValue(forKey: pid) else { return }
            for name in names where state.byName[name] == pid { state.byName[name] = nil }
        }
    }

    /// Names held by `pid`.
    public func names(of pid: PID) -> [String] {
        state.withLock { $0.byOwner[pid] ?? [] }
    }
}
