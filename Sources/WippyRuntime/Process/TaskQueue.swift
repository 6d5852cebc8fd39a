/// The FIFO of a process's ready tasks, linked through the tasks themselves (no storage to allocate).
///
/// The queue owns one reference to each queued task, taken by hand (`Unmanaged`): with optional strong
/// links, every append cost three retains and three releases (the old link, the head, the unowned tail),
/// and it runs for every wake-up of a task.
struct TaskQueue {
    private var head: Unmanaged<LuaTask>?
    private var tail: Unmanaged<LuaTask>?

    var isEmpty: Bool { head == nil }

    /// Exactly one task is queued.
    var hasOne: Bool { head != nil && head?.toOpaque() == tail?.toOpaque() }

    /// Appends `task` unless it is already queued.
    mutating func append(_ task: LuaTask) {
        guard !task.isQueued else { return }
        task.isQueued = true
        let link = Unmanaged.passRetained(task)
        if let last = tail {
            last._withUnsafeGuaranteedRef { $0.nextReady = link }
        } else {
            head = link
        }
        tail = link
    }

    /// Puts `task` first unless it is already queued.
    mutating func prepend(_ task: LuaTask) {
        guard !task.isQueued else { return }
        task.isQueued = true
        task.nextReady = head
        let link = Unmanaged.passRetained(task)
        if head == nil { tail = link }
        head = link
    }

    mutating func popFirst() -> LuaTask? {
        guard let first = head else { return nil }
        let task = first.takeRetainedValue()
        head = task.nextReady
        task.nextReady = nil
        task.isQueued = false
        if head == nil { tail = nil }
        return task
    }

    mutating func removeAll() {
        while popFirst() != nil {}
    }
}
