import DequeModule
import WippyCore
import WippyLua

/// Start-up phases, task creation and task completion.
extension LuaProcess {
    /// Prepares the main task: libraries the entry imports, then the entry's chunk, then its method.
    func start(stashed: ArgumentStash.Slot? = nil) throws(WippyError) {
        // A link that went down before the process ever ran kills it, as it would have a running one.
        // (Most processes start with an empty mailbox: no iterator is made for it.)
        if !cell.mailbox.isEmpty {
            var linkDown = false
            for item in cell.mailbox {
                if case .event(.linkDown(let from, _)) = item, node.takeLinkDown(receiver: pid, from: from) { linkDown = true }
            }
            if linkDown { pendingFailure = WippyError("linked process failed", kind: .internal) }
            // Items that arrived before it started count toward its memory.
            if cell.mailboxBytes > 0 { syncMailboxBytes() }
        }
        let task = makeTask(isMain: true)
        // Arguments kept in Lua leave the worker's stash first, so nothing below can leave their slot taken.
        var stacked: Int32 = 0
        if let stashed {
            workerState.argumentStash.take(stashed, on: task.thread)
            stacked = stashed.count
        }
        let imports = try workerState.importPlan(for: program)
        if !imports.isEmpty { plan = imports }
        if sharesInstance, let method = workerState.instance(of: program) {
            // The entry's chunk already ran on this worker: call its method directly.
            task.thread.push(method)
            task.phase = .body
            if stacked > 0 {
                // The method goes under the arguments already on the thread.
                task.thread.insert(at: 1)
                task.resumeArguments = stacked
            } else {
                task.resumeArguments = pushArguments(on: task.thread)
            }
            return
        }
        if stacked > 0 {
            // The instance went away between spawn and start (the code changed): the chunk runs first, so the
            // arguments become payloads, pushed after it as usual (these values always convert).
            if case .success(let values) = LuaValueConverter.export(from: 1, to: stacked, in: task.thread, state: workerState) {
                arguments = values
            }
            task.thread.top = 0
        }
        if plan.isEmpty { try beginEntryChunk(on: task) } else { try beginLibrary(0, on: task) }
    }

    /// Whether this process runs the worker's one instance of its entry (made by the first process that
    /// needed it) rather than a run of the chunk of its own: function calls (always so), and processes whose chunk the translator proved holds no per-process state
    /// (``LuaProgram/isShareable``), except workflow runs, whose environment is deterministic.
    var sharesInstance: Bool {
        mode == .function || (program.isShareable && determinism == nil)
    }

    /// Creates a task (the main one or a `coroutine.spawn`) and anchors its thread.
    @discardableResult
    func makeTask(isMain: Bool, from creator: Lua? = nil) -> LuaTask {
        let task = workerState.takeTask(for: self, isMain: isMain)
        if !isMain { tasks.append(task) }
        if isMain {
            main = task
            readyQueue.append(task)
        }
        return task
    }

    private func beginLibrary(_ index: Int, on task: LuaTask) throws(WippyError) {
        let library = plan[index]
        let thread = task.thread
        if let error = workerState.pushChunk(library, on: thread) { throw compileError(error, program: library) }
        workerState.pushEnvironment(for: library, on: thread, deterministic: determinism != nil)
        bindImports(of: library, environmentAt: -1, on: thread)
        task.phase = .library(Int32(index))
        task.resumeArguments = 1
    }

    private func beginEntryChunk(on task: LuaTask) throws(WippyError) {
        let thread = task.thread
        if let error = workerState.pushChunk(program, on: thread) { throw compileError(error, program: program) }
        // The instance every process of the worker shares reads its globals from its own table (no idle cost).
        workerState.pushEnvironment(for: program, on: thread, deterministic: determinism != nil, flattened: sharesInstance)
        bindImports(of: program, environmentAt: -1, on: thread)
        task.phase = .chunk
        task.resumeArguments = 1
        if program.bindsProcess {
            // the chunk's second argument: its local `process` (see LuaProgram.bindsProcess)
            workerState.pushProcessBinding(environmentAt: -1, deterministic: determinism != nil, on: thread)
            task.resumeArguments = 2
            if program.bindsReceive {
                // then its locals `__wippy_receive`, `__wippy_topic`, `__wippy_from`, `__wippy_spawn` (see
                // LuaProgram.bindsReceive)
                task.resumeArguments += workerState.pushReceiveBinding(
                    deterministic: determinism != nil, processAt: -1, on: thread)
            }
        }
    }

    /// Binds each import alias of `program` to this process's instance of the library.
    private func bindImports(of program: LuaProgram, environmentAt index: Int32, on thread: Lua) {
        let env = thread.absolute(index)
        for (alias, entry) in program.imports {
            guard let ref = libraryInstances[entry] else { continue }
            thread.push(ref)
            thread.rawSet(env, key: alias)
        }
    }

    private func compileError(_ error: LuaError, program: LuaProgram) -> WippyError {
        WippyError(error.message, kind: .invalid, retryable: false)
    }

    /// Pushes the start arguments on `thread`; returns how many.
    private func pushArguments(on thread: Lua) -> Int32 {
        thread.ensureStack(Int32(arguments.count) + 4)
        for argument in arguments { LuaValueConverter.push(argument, on: thread, state: workerState) }
        let count = Int32(arguments.count)
        arguments = []
        return count
    }

    /// A task's function returned. Returns the process outcome when that ends the process.
    func taskReturned(_ task: LuaTask, results: Int32) -> ProcessRunOutcome? {
        guard task.isMain else {
            task.thread.pop(results)
            retire(task)
            return nil
        }
        let thread = task.thread
        switch task.phase {
        case .library(let libraryIndex):
            let index = Int(libraryIndex)
            let library = plan[index]
            if results == 0 { thread.pushNil() } else if results > 1 { thread.pop(results - 1) }
            libraryInstances[library.entryID] = thread.ref()
            thread.top = 0
            do {
                if index + 1 < plan.count { try beginLibrary(index + 1, on: task) } else { try beginEntryChunk(on: task) }
            } catch {
                return .finished(.failure(error))
            }
            task.state = .ready
            readyQueue.append(task)
            return nil
        case .chunk:
            guard pushEntryFunction(results: results, on: thread) else {
                let name = program.method ?? "main"
                return .finished(.failure(WippyError("method \"\(name)\" not found in module", kind: .notFound, retryable: false)))
            }
            if sharesInstance {
                // The method keeps the instance's environment alive through its upvalues.
                thread.pushValue(at: -1)
                let method = thread.ref()
                if let old = workerState.functionInstances[program.entryID] { lua.unref(old.method) }
                workerState.functionInstances[program.entryID] = LuaWorkerState.FunctionInstance(
                    serial: program.serial, method: method)
            }
            task.phase = .body
            task.resumeArguments = pushArguments(on: thread)
            task.state = .ready
            readyQueue.append(task)
            return nil
        case .method, .body:
            return .finished(result(from: thread, count: results))
        }
    }

    /// Leaves only the entry function on `thread`'s stack (from the chunk's results); false if there is none.
    private func pushEntryFunction(results: Int32, on thread: Lua) -> Bool {
        let top = thread.top
        let first = top - results + 1
        guard results > 0 else { return false }
        switch thread.type(at: first) {
        case .function:
            thread.pushValue(at: first)
        case .table:
            let method = program.method ?? "main"
            guard thread.rawGet(first, key: method) == .function else {
                thread.top = 0
                return false
            }
        default:
            thread.top = 0
            return false
        }
        thread.insert(at: 1)
        thread.top = 1
        return true
    }

    /// Converts a finished main function's results to a process result: the first value is the result; a
    /// string or error object in the second slot makes it a failure, and so does a result that cannot leave
    /// the process (`cannot return a function (at result.handler)`).
    func result(from thread: Lua, count: Int32) -> ProcessResult {
        guard count > 0 else { return ProcessResult() }
        let first = thread.top - count + 1
        if count >= 2 {
            let second = first + 1
            switch thread.type(at: second) {
            case .string:
                let message = thread.string(at: second) ?? ""
                thread.pop(count)
                return .failure(WippyError(message, kind: .internal))
            case .userdata:
                if let error = workerState.readError(at: second, on: thread) {
                    thread.pop(count)
                    return .failure(error)
                }
            default: break
            }
        }
        let value: Payload
        do throws(UnsendableValue) {
            value = try LuaValueConverter.export(at: first, in: thread, state: workerState)
        } catch {
            thread.pop(count)
            return .failure(error.error(action: "return", root: "result"))
        }
        thread.pop(count)
        return ProcessResult(value: value)
    }

    /// The error a failed resume left at `index`.
    func errorValue(on thread: Lua, at index: Int32) -> WippyError {
        if let error = workerState.readError(at: index, on: thread) { return error }
        return WippyError(thread.describeError(at: index))
    }

    /// Removes a finished or killed task.
    func retire(_ task: LuaTask) {
        task.state = .dead
        workerState.recycle(task)
        if let index = tasks.firstIndex(where: { $0 === task }) { tasks.remove(at: index) }
    }

    /// `coroutine.spawn(fn)` body: the new task runs first, the caller after it.
    func spawnTask(function index: Int32, caller: LuaTask, on thread: Lua) {
        let task = makeTask(isMain: false, from: thread)
        thread.pushValue(at: index)
        thread.move(1, to: task.thread)
        task.state = .ready
        readyQueue.append(task)
        // The caller resumes after the new task, with the thread as the result.
        task.thread.pushSelf()
        task.thread.move(1, to: thread)
        caller.state = .ready
        caller.resumeArguments = 1
        readyQueue.append(caller)
    }
}
