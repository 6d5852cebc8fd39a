import CLua

/// An owned Lua universe (`lua_State` and all its threads).
///
/// Not thread-safe: a `LuaState` is confined to the thread that uses it (a scheduler worker), and it is
/// declared non-`Sendable`. Natives and runtime code use ``Lua`` views of its threads.
public final class LuaState {
    /// The main thread.
    public let main: Lua
    /// The state's allocator record: totals and per-process accounts (see ``LuaMemory``).
    public let memory: LuaMemory
    private var closed = false

    /// Creates a state with the accounting allocator. With `standardLibraries` it opens base, table, string,
    /// math, coroutine, os and utf8 into the main thread's globals (the runtime prunes them to Wippy's subset).
    public init(standardLibraries: Bool = true) {
        guard let pointer = wippy_newstate() else { fatalError("lua_newstate failed") }
        main = Lua(pointer)
        memory = LuaMemory(wippy_memory_of(pointer))
        main.extraSpace = nil
        if standardLibraries { wippy_open_standard_libraries(pointer) }
    }

    deinit {
        close()
    }

    /// Closes the state, freeing every object in it. The state and its ``memory`` must not be used after.
    public func close() {
        guard !closed else { return }
        closed = true
        wippy_close(main.pointer)
    }

    /// Bytes currently allocated by Lua in this state.
    public var allocatedBytes: Int { memory.totalBytes }

    /// Address space mapped by the state's small-object heap (slabs; larger blocks come from malloc).
    public var heapMappedBytes: Int { memory.heapMappedBytes }

    /// Highest value of ``allocatedBytes`` so far.
    public var peakBytes: Int { memory.peakBytes }

    /// Runs a full garbage-collection cycle.
    public func collectGarbage() { _ = wippy_gc(main.pointer, LUA_GCCOLLECT, 0) }

    /// Performs an incremental GC step of about `kilobytes` KB of work; true if a cycle finished.
    @discardableResult
    public func stepGarbageCollector(kilobytes: Int32 = 0) -> Bool { wippy_gc(main.pointer, LUA_GCSTEP, kilobytes) != 0 }

    /// Stops automatic collection (experiments only).
    public func stopGarbageCollector() { _ = wippy_gc(main.pointer, LUA_GCSTOP, 0) }

    /// Generational mode with both multipliers: a minor collection runs when memory grows `minor` percent
    /// (at most 100) past what the last major collection left, a major one when it grows `major` percent (at
    /// most 1000; Lua's default 100).
    public func setGenerationalMultipliers(minor: Int32, major: Int32) {
        _ = wippy_gc_generational(main.pointer, minor, major)
    }

    /// Switches the collector to generational mode. A minor collection runs when memory grows
    /// `minorMultiplier` percent past what the last major collection left (Lua's default: 20, at most 100).
    public func useGenerationalGC(minorMultiplier: Int32 = 0) { _ = wippy_gc(main.pointer, LUA_GCGEN, minorMultiplier) }

    /// Installs the instruction-count hook used for preemption; threads created later inherit it, and
    /// ``Lua/resetHook()`` restores it.
    public func installPreemption(instructionsPerTick: Int32) {
        wippy_install_preemption(main.pointer, instructionsPerTick)
    }

    /// Preempts this state's threads by time, with no hook installed while they run (Lua runs at full
    /// speed): the process-wide ticker arms the running thread's hook only once its slice has overrun (see
    /// `wippy_lua.h`). The calling OS thread must be the one that runs the state.
    public func installTimedPreemption() {
        wippy_install_timed_preemption(main.pointer)
    }

    /// Starts a slice on this OS thread: with counted preemption the next resumes may run `ticks` ticks;
    /// with timed preemption `ticks` is not used (a slice lasts one to two ticker periods).
    public static func setPreemptionBudget(_ ticks: Int32) { wippy_set_budget(ticks) }

    /// Whether `thread` has a hook installed now (timed preemption installs none until a slice overruns).
    public static func hasHook(_ thread: Lua) -> Bool { lua_gethook(thread.pointer) != nil }

    /// Returns and clears the "preempted" flag of this OS thread.
    public static func takePreempted() -> Bool { wippy_take_preempted() != 0 }

    // MARK: - Doom

    /// Dooms the process running on this OS thread: it must end with `message` at the next safe point. Its
    /// running thread (`thread`, or the one being resumed) stops at its next VM instruction: it yields where it
    /// can, and raises a memory error at every instruction where it cannot, until it can (see `wippy_lua.h`).
    /// The first doom wins until ``clearDoom()``.
    public static func doom(_ message: String, thread: Lua? = nil) {
        message.withCString { wippy_doom(thread?.pointer, $0) }
    }

    /// The message the running process was doomed with, if it was (the scheduler checks after each resume).
    public static var doomMessage: String? {
        guard let text = wippy_doom_message() else { return nil }
        return String(cString: text)
    }

    /// Forgets the doom of this OS thread (once the doomed process is finished).
    public static func clearDoom() { wippy_clear_doom() }

    /// The message a process is doomed with after running too long where it could not be preempted.
    public static let stuckMessage = String(cString: wippy_stuck_message())

    /// Caps the work of one string pattern call on this OS thread (about `steps` matcher steps; nil restores
    /// the default, about 10^9). For tests.
    public static func setPatternStepLimit(_ steps: UInt64?) { wippy_set_pattern_step_limit(steps ?? 0) }

    // MARK: - Libraries

    /// Replaces, in the global libraries: string.find/match/gmatch/gsub with Wippy's preemptible matcher; the
    /// other string functions with ones that accept string-like userdata; string.rep; table.insert/remove
    /// with preemptible shifting.
    public func openLibraryExtensions() { wippy_open_library_extensions(main.pointer) }
}

@available(*, unavailable, message: "LuaState is confined to the thread that owns it")
extension LuaState: Sendable {}
