import Synchronization

/// History kept in memory: lost when the program ends.
public final class MemoryRegistryHistory: RegistryHistory {
    private struct State {
        var versions: [UInt64: RegistryVersion] = [:]
        var head: UInt64 = 0
        var checkpoints: [UInt64: RegistryOverlay] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func index() throws(WippyError) -> RegistryHistoryIndex {
        state.withLock { state in
            RegistryHistoryIndex(
                versions: state.versions.values.map(\.info), head: state.head, checkpoints: Set(state.checkpoints.keys))
        }
    }

    public func changes(of versions: [UInt64]) throws(WippyError) -> [[RegistryChange]] {
        try state.withLock { state throws(WippyError) in
            try versions.map { id throws(WippyError) in
                guard let version = state.versions[id] else { throw WippyError.notFound("registry history: no version v\(id)") }
                return version.changes
            }
        }
    }

    public func save(_ version: RegistryVersion, checkpoint: RegistryOverlay?) throws(WippyError) {
        try state.withLock { state throws(WippyError) in
            guard state.versions[version.id] == nil, state.head == version.parent else {
                throw WippyError(
                    "registry history: v\(version.id) was not saved: the head moved to v\(state.head) meanwhile", kind: .conflict,
                    retryable: false)
            }
            state.versions[version.id] = version
            state.head = version.id
            if let checkpoint { state.checkpoints[checkpoint.version] = checkpoint }
        }
    }

    public func setHead(_ head: UInt64) throws(WippyError) {
        try state.withLock { state throws(WippyError) in
            guard head == 0 || state.versions[head] != nil else { throw WippyError.notFound("registry history: no version v\(head)") }
            state.head = head
        }
    }

    public func checkpoint(at version: UInt64) -> RegistryOverlay? { state.withLock { $0.checkpoints[version] } }

    public func saveCheckpoint(_ overlay: RegistryOverlay) throws(WippyError) {
        state.withLock { $0.checkpoints[overlay.version] = overlay }
    }
}
