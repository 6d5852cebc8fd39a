/// The FIFO of a process's ready tasks, linked through the tasks themselves (no storage to allocate).
struct TaskQueue {
    private var head: LuaTask?
    private unowned(unsafe) var tail: LuaTask?

    var isEmpty: Bool { head == nil }

    /// Appends `task` unless it is already queued.
    mutating func append(_ task: LuaTask) {
        guard !task.isQueued else { return }
        task.isQueued = true
        if let last = head == nil ? nil : tail {
            last.nextReady = task
        } else {
            head = task
        }
        tail = task
    }

    /// Puts `task` first unless it is already queued.
    mutating func prepend(_ task: LuaTask) {
        guard !task.isQueued else { return }
        task.isQueued = true
        task.nextReady = head
        if head == nil { tail = task }
        head = task
    }

    mutating func popFirst() -> LuaTask? {
        guard let first = head else { return nil }
        head = first.nextReady
        first.nextReady = nil
        first.isQueued = false
        if head == nil { tail = nil }
        return first
    }

    mutating func removeAll() {
        while popFirst() != nil {}
    }
}
