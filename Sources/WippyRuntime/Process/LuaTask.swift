public import WippyLua

/// One coroutine of a Lua process: the main function or a `coroutine.spawn`ed one.
///
/// The task's thread has the task itself in its extra space (unretained; the process keeps tasks alive),
/// so a native can find its task, and through it its process, from the calling thread.
public final class LuaTask {
    public let thread: Lua
    let anchor: LuaRef
    // unowned(unsafe): a task is only touched by its process, on its worker, while the process is alive.
    public unowned(unsafe) let process: LuaProcess
    let isMain: Bool

    enum State { case ready, running, blocked, dead }
    var state: State = .ready
    /// Values pushed on the thread for the next resume.
    var resumeArguments: Int32 = 0
    /// Identifies the current blocking request; wake-ups carrying an older token are stale.
    public internal(set) var waitToken: UInt64 = 0
    /// For the main task: the chunk has not returned yet (it runs before the entry method).
    var phase: Phase = .chunk
    /// Link and flag of the process's ready queue.
    var nextReady: LuaTask?
    var isQueued = false
    /// Blocked in a plain sleep: the timer with the wait token wakes it with no results.
    var isSleeping = false

    enum Phase { case library(Int), chunk, method, body }

    init(thread: Lua, anchor: LuaRef, process: LuaProcess, isMain: Bool) {
        self.thread = thread
        self.anchor = anchor
        self.process = process
        self.isMain = isMain
        thread.extraSpace = Unmanaged.passUnretained(self).toOpaque()
    }

    /// The task running the calling thread, if it belongs to a process.
    @inline(__always)
    public static func current(_ lua: Lua) -> LuaTask? {
        guard let raw = lua.extraSpace else { return nil }
        return Unmanaged<LuaTask>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Marks the task blocked on a new request and returns the request's token.
    public func block() -> UInt64 {
        process.nextToken &+= 1
        waitToken = process.nextToken
        state = .blocked
        isSleeping = false
        return waitToken
    }

    /// True while the task is blocked on the request identified by `token`.
    @inline(__always)
    public func isWaiting(on token: UInt64) -> Bool { state == .blocked && waitToken == token }

    /// Makes a blocked task ready; the caller has pushed `arguments` values on its thread.
    public func wake(arguments: Int32) {
        guard state == .blocked else { return }
        state = .ready
        resumeArguments = arguments
        waitToken = 0
        isSleeping = false
        process.readyQueue.append(self)
    }
}
