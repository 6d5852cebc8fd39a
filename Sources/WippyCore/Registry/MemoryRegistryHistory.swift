import Synchronization

/// History kept in memory: lost when the program ends. By default it keeps no checkpoints (a boot from it
/// happens only within one process, and it holds every changeset anyway).
public final class MemoryRegistryHistory: RegistryHistory {
    private struct State {
        /// By number, ascending (numbers only grow).
        var versions: [RegistryVersion] = []
        var head: UInt64 = 0
        var checkpoints: [UInt64: RegistryOverlay] = [:]

        func version(_ id: UInt64) -> RegistryVersion? {
            var low = 0
            var high = versions.count
            while low < high {
                let middle = (low + high) / 2
                if versions[middle].id < id { low = middle + 1 } else { high = middle }
            }
            return low < versions.count && versions[low].id == id ? versions[low] : nil
        }
    }

    private let state = Mutex(State())

    public let keepsCheckpoints: Bool

    public init() { keepsCheckpoints = false }

    /// - Parameter keepsCheckpoints: whether the registry saves checkpoints here (for tests of checkpoints).
    public init(keepsCheckpoints: Bool) {
        self.keepsCheckpoints = keepsCheckpoints
    }

    public func index() throws(WippyError) -> RegistryHistoryIndex {
        state.withLock { state in
            RegistryHistoryIndex(versions: state.versions.map(\.info), head: state.head, checkpoints: Set(state.checkpoints.keys))
        }
    }

    public func changes(of versions: [UInt64]) throws(WippyError) -> [[RegistryChange]] {
        try state.withLock { state throws(WippyError) in
            try versions.map { id throws(WippyError) in
                guard let version = state.version(id) else { throw WippyError.notFound("registry history: no version v\(id)") }
                return version.changes
            }
        }
    }

    public func save(_ version: RegistryVersion, checkpoint: RegistryOverlay?) throws(WippyError) {
        try state.withLock { state throws(WippyError) in
            guard version.id > (state.versions.last?.id ?? 0), state.head == version.parent else {
                throw WippyError(
                    "registry history: v\(version.id) was not saved: the head moved to v\(state.head) meanwhile", kind: .conflict,
                    retryable: false)
            }
            state.versions.append(version)
            state.head = version.id
            if let checkpoint { state.checkpoints[checkpoint.version] = checkpoint }
        }
    }

    public func setHead(_ head: UInt64) throws(WippyError) {
        try state.withLock { state throws(WippyError) in
            guard head == 0 || state.version(head) != nil else { throw WippyError.notFound("registry history: no version v\(head)") }
            state.head = head
        }
    }

    public func checkpoint(at version: UInt64) -> RegistryOverlay? { state.withLock { $0.checkpoints[version] } }

    public func saveCheckpoint(_ overlay: RegistryOverlay) throws(WippyError) {
        state.withLock { $0.checkpoints[overlay.version] = overlay }
    }
}
