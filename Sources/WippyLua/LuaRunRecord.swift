import CLua

/// What the deterministic `pairs`, `next` and `tostring` of one workflow run keep (see `wippy_determinism.c`):
/// the run's ids of the objects it has looked at, given in first-seen order, which `tostring` prints instead of
/// addresses and which order object keys.
///
/// Made active on the state while the run's process runs (``LuaMemory/enterRun(_:)``); confined to the
/// state's thread once in use. ``release(on:)`` frees the id table when the run ends.
public final class LuaRunRecord {
    let pointer: UnsafeMutablePointer<wippy_determinism>

    public init() {
        pointer = .allocate(capacity: 1)
        wippy_determinism_init(pointer)
    }

    deinit { pointer.deallocate() }

    /// Ids handed out so far.
    public var objectsSeen: Int { Int(pointer.pointee.last_id) }

    /// Releases the id table (any thread of the state it was used in). The record starts afresh if used again.
    public func release(on lua: Lua) { wippy_determinism_release(lua.pointer, pointer) }
}

extension LuaMemory {
    /// Makes `record` the run the deterministic functions of this state use (nil: none).
    @inline(__always)
    public func enterRun(_ record: LuaRunRecord?) { wippy_determinism_enter(pointer, record?.pointer) }
}

extension Lua {
    /// Pushes the `pairs` of workflow runs: a defined order whatever the hash seed (see `wippy_determinism.c`).
    /// The table at `readOnlySet` lists read-only tables, whose contents are iterated.
    public func pushDeterministicPairs(readOnlySet: Int32) { wippy_push_deterministic_pairs(pointer, readOnlySet) }

    /// Pushes the `next` of workflow runs (the same order as ``pushDeterministicPairs(readOnlySet:)``).
    public func pushDeterministicNext(readOnlySet: Int32) { wippy_push_deterministic_next(pointer, readOnlySet) }

    /// Pushes the `tostring` of workflow runs: objects without `__tostring` print the run's id, not an address.
    public func pushDeterministicToString() { wippy_push_deterministic_tostring(pointer) }
}
