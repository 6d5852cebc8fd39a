import Synchronization

/// Monitors and links between live processes.
final class Topology: Sendable {
    private struct State {
        /// target → processes monitoring it
        var watchers: [PID: [PID]] = [:]
        /// process → processes linked to it (both directions stored)
        var links: [PID: Set<PID>] = [:]
    }

    private let state = Mutex(State())

    /// Adds a monitor; false when `watcher` already monitors `target`.
    func monitor(watcher: PID, target: PID) -> Bool {
        state.withLock { state in
            if state.watchers[target]?.contains(watcher) == true { return false }
            state.watchers[target, default: []].append(watcher)
            return true
        }
    }

    @discardableResult
    func unmonitor(watcher: PID, target: PID) -> Bool {
        state.withLock { state in
            guard var list = state.watchers[target], let index = list.firstIndex(of: watcher) else { return false }
            list.remove(at: index)
            state.watchers[target] = list.isEmpty ? nil : list
            return true
        }
    }

    func takeWatchers(of target: PID) -> [PID] {
        state.withLock { $0.watchers.removeValue(forKey: target) ?? [] }
    }

    func link(_ a: PID, _ b: PID) {
        state.withLock { state in
            state.links[a, default: []].insert(b)
            state.links[b, default: []].insert(a)
        }
    }

    func unlink(_ a: PID, _ b: PID) {
        state.withLock { state in
            state.links[a]?.remove(b)
            state.links[b]?.remove(a)
            if state.links[a]?.isEmpty == true { state.links[a] = nil }
            if state.links[b]?.isEmpty == true { state.links[b] = nil }
        }
    }

    /// Forgets `pid`, returning who monitored it and who was linked to it.
    ///
    /// With `notifyingLinks` (an abnormal exit: each linked process gets a LINK_DOWN), the linked processes
    /// keep their half of the link until the LINK_DOWN reaches them (``takeLinkDown(receiver:from:)``), so an
    /// `unlink` made before then cancels it.
    func remove(_ pid: PID, notifyingLinks: Bool = false) -> (watchers: [PID], links: [PID]) {
        state.withLock { state in
            let watchers = state.watchers.removeValue(forKey: pid) ?? []
            let linked = state.links.removeValue(forKey: pid) ?? []
            if !notifyingLinks {
                for other in linked {
                    state.links[other]?.remove(pid)
                    if state.links[other]?.isEmpty == true { state.links[other] = nil }
                }
            }
            return (watchers, Array(linked))
        }
    }

    /// A LINK_DOWN from `from` reaches `receiver`: true (and the link is gone) if they were still linked,
    /// false if `receiver` unlinked in the meantime (the LINK_DOWN must then have no effect).
    func takeLinkDown(receiver: PID, from: PID) -> Bool {
        state.withLock { state in
            guard state.links[receiver]?.remove(from) != nil else { return false }
            if state.links[receiver]?.isEmpty == true { state.links[receiver] = nil }
            return true
        }
    }

    func isLinked(_ a: PID, _ b: PID) -> Bool {
        state.withLock { $0.links[a]?.contains(b) ?? false }
    }

    func isMonitoring(watcher: PID, target: PID) -> Bool {
        state.withLock { $0.watchers[target]?.contains(watcher) ?? false }
    }
}
