public import WippyLua

/// One coroutine of a Lua process: the main function or a `coroutine.spawn`ed one.
///
/// The task's thread has the task itself in its extra space (unretained; the process keeps tasks alive),
/// so a native can find its task, and through it its process, from the calling thread.
public final class LuaTask {
    // Stored properties are ordered to pack the object into as few bytes as possible (one per process).
    public let thread: Lua
    // unowned(unsafe): a task is only touched by its process, on its worker, while the process is alive.
    // Set again when the worker reuses the task for another process (``LuaWorkerState/takeTask(for:isMain:)``).
    public private(set) unowned(unsafe) var process: LuaProcess
    /// Identifies the current blocking request; wake-ups carrying an older token are stale.
    public internal(set) var waitToken: UInt64 = 0
    /// Link of the process's ready queue (which holds the reference: see ``TaskQueue``).
    var nextReady: Unmanaged<LuaTask>?
    let anchor: LuaRef
    /// Values pushed on the thread for the next resume.
    var resumeArguments: Int32 = 0
    /// For the main task: the chunk has not returned yet (it runs before the entry method).
    var phase: Phase = .chunk
    var state: State = .ready
    private(set) var isMain: Bool
    /// In the process's ready queue.
    var isQueued = false
    /// Slices in a row this task was preempted in without blocking (see `LuaProcess.runTasks`).
    var preemptionsInARow: UInt8 = 0
    static let preemptionsBeforeOthersRun: UInt8 = 4
    /// Blocked in a plain sleep: the timer with the wait token wakes it with no results.
    var isSleeping = false

    enum State: UInt8 { case ready, running, blocked, dead }
    /// Library phases carry the index of the library in the import plan.
    enum Phase { case library(Int32), chunk, method, body }

    init(thread: Lua, anchor: LuaRef, process: LuaProcess, isMain: Bool) {
        self.thread = thread
        self.anchor = anchor
        self.process = process
        self.isMain = isMain
        thread.markAsTaskThread(Unmanaged.passUnretained(self).toOpaque())
    }

    /// Makes a pooled task (its thread reset, nothing else holding it) a fresh task of `process`.
    func reuse(for process: LuaProcess, isMain: Bool) {
        self.process = process
        self.isMain = isMain
        waitToken = 0
        nextReady = nil
        resumeArguments = 0
        phase = .chunk
        state = .ready
        isQueued = false
        preemptionsInARow = 0
        isSleeping = false
        thread.markAsTaskThread(Unmanaged.passUnretained(self).toOpaque())
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

    /// A blocked task becomes ready without joining its process's ready queue (the switch runs it at once,
    /// or queues it: LuaProcess+HandOff); the caller has pushed `arguments` values on its thread.
    @inline(__always)
    func markReady(arguments: Int32) {
        state = .ready
        resumeArguments = arguments
        waitToken = 0
        isSleeping = false
    }

    /// Makes a blocked task ready; the caller has pushed `arguments` values on its thread.
    public func wake(arguments: Int32) {
        guard state == .blocked else { return }
        state = .ready
        resumeArguments = arguments
        waitToken = 0
        isSleeping = false
        // The process is used through a guaranteed reference: loading the unowned(unsafe) field into a strong
        // one costs a retain and a release around each call below, on every wake-up.
        Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef { process in
            // Any wake-up ends a wait the C hand-off could have ended.
            if let record = process.record, record.waiting == thread.pointer { record.waiting = nil }
            process.readyQueue.append(self)
        }
    }
}
