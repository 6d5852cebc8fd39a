import Synchronization

/// History kept in memory: lost when the program ends.
public final class MemoryRegistryHistory: RegistryHistory {
    private let state = Mutex<(versions: [RegistryVersion], head: UInt64)>(([], 0))

    public init() {}

    public func load() throws(WippyError) -> (versions: [RegistryVersion], head: UInt64) {
        state.withLock { $0 }
    }

    public func save(_ version: RegistryVersion) throws(WippyError) {
        state.withLock {
            $0.versions.append(version)
            $0.head = version.id
        }
    }

    public func setHead(_ head: UInt64) throws(WippyError) {
        state.withLock { $0.head = head }
    }
}
