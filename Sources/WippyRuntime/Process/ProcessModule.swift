import Synchronization
import WippyCore
import WippyLua

/// The `process` global of function, process and workflow entries.
struct ProcessModule: LuaModule {
    let name = "process"
    let classes: Set<ModuleClass> = [.workflow]

    func load(into lua: Lua, state: LuaWorkerState) {
        ProcessNatives.registerSpawnerType(state)
        lua.newTable(arrayCapacity: 0, fieldCapacity: 32)
        let table = lua.top
        let functions: [(String, LuaNativeFunction)] = [
            ("pid", ProcessNatives.pid), ("id", ProcessNatives.id),
            ("inbox", ProcessNatives.inbox), ("events", ProcessNatives.events), ("listen", ProcessNatives.listen),
            ("unlisten", ProcessNatives.unlisten), ("spawn", ProcessNatives.spawn),
            ("spawn_monitored", ProcessNatives.spawnMonitored), ("spawn_linked", ProcessNatives.spawnLinked),
            ("spawn_linked_monitored", ProcessNatives.spawnLinkedMonitored), ("exec", ProcessNatives.exec),
            ("terminate", ProcessNatives.terminate), ("cancel", ProcessNatives.cancel),
            ("monitor", ProcessNatives.monitor), ("unmonitor", ProcessNatives.unmonitor),
            ("link", ProcessNatives.link), ("unlink", ProcessNatives.unlink),
            ("get_options", ProcessNatives.getOptions), ("set_options", ProcessNatives.setOptions),
            ("upgrade", ProcessNatives.upgrade), ("with_context", ProcessNatives.withContext),
            ("with_options", ProcessNatives.withOptions),
        ]
        for (name, native) in functions {
            lua.push(native: native)
            lua.rawSet(table, key: name)
        }
        // Same-worker hand-offs to a waiting receiver run in C; the Swift native does everything else.
        state.mailboxes.pushSend(fallback: ProcessNatives.send, on: lua)
        lua.rawSet(table, key: "send")
        lua.newTable()
        for (name, value) in [
            ("CANCEL", "pid.cancel"), ("EXIT", "pid.exit"), ("LINK_DOWN", "pid.link.down"), ("OUTDATED", "pid.outdated"),
        ] {
            lua.push(value)
            lua.rawSet(-2, key: name)
        }
        state.makeReadOnly()
        lua.rawSet(table, key: "event")

        lua.newTable()
        for (name, native) in [
            ("register", ProcessNatives.register), ("lookup", ProcessNatives.lookup),
            ("unregister", ProcessNatives.unregister),
        ] as [(String, LuaNativeFunction)] {
            lua.push(native: native)
            lua.rawSet(-2, key: name)
        }
        for (name, value) in [("LOCAL", 0), ("EVENTUAL", 1), ("CONSISTENT", 2), ("STRONG", 3)] {
            lua.push(Int64(value))
            lua.rawSet(-2, key: name)
        }
        state.makeReadOnly()
        lua.rawSet(table, key: "registry")
    }
}

enum ProcessNatives {
    @inline(__always)
    static func context(_ lua: Lua) -> (LuaTask, LuaProcess)? {
        guard let task = LuaTask.current(lua) else { return nil }
        return (task, task.process)
    }

    static func noProcess(_ lua: Lua) -> Int32 { lua.raise("process functions need a running process") }

    /// A destination argument (PID string or name); numbers are accepted as names.
    static func destination(_ lua: Lua, _ index: Int32) -> String? {
        switch lua.type(at: index) {
        case .string, .number: return lua.stringCoercing(at: index)
        default: return nil
        }
    }

    static let pid: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else {
            lua.pushNil()
            LuaWorkerState.of(lua).pushError(WippyError.internal("no process PID"), on: lua)
            return 2
        }
        process.pushPIDString(on: lua)
        return 1
    }

    static let id: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        lua.push(process.program.entryID.description)
        return 1
    }

    /// `process.send(destination, topic, ...)`: `true`, or `false, err` when the destination does not exist
    /// (`NotFound`, "... not found ...") or a payload cannot be sent (`Invalid`, naming the value and where it
    /// is); nothing is delivered then. Wrong argument types raise.
    static let send: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        let top = lua.top
        guard top >= 2 else {
            return refuse(.invalid("send requires at least destination and topic arguments"), process, lua)
        }
        // A process that receives too (it has an inbox) is likely to converse: give it its C record, so its
        // next sends to a waiting receiver of this worker take the C hand-off. (One-shot senders, such as
        // processes that report once and end, are not worth a record.)
        if process.record == nil, process.inboxSubscription != nil, process.workflow == nil, process.ensureRecord() != nil {
            process.workerState.mailboxes.setRunning(process.record, owner: nil)
        }
        let destinationType = lua.type(at: 1)
        guard destinationType == .string || destinationType == .number else { return lua.typeError(1, expected: "string") }
        switch lua.type(at: 2) {
        case .string: break
        case .number: _ = lua.coerceToString(at: 2)
        default: return lua.typeError(2, expected: "string")
        }
        if lua.withBytes(at: 2, { $0.first == UInt8(ascii: "@") }) == true {
            return refuse(.invalid("cannot send to @ topics"), process, lua)
        }
        if let session = process.workflow {
            let destination = lua.stringCoercing(at: 1) ?? ""
            var payloads: [Payload] = []
            if top > 2 {
                switch LuaValueConverter.export(from: 3, to: top, in: lua, state: process.workerState) {
                case .success(let values): payloads = values
                case .failure(let error): return refuse(error, process, lua)
                }
            }
            return session.send(from: lua, to: destination, topic: lua.string(at: 2) ?? "", payloads: payloads)
        }
        var cell: ProcessCell?
        if destinationType == .string {
            let state = process.workerState
            if let cached = state.destinations.cell(forStringAt: 1, in: lua) {
                cell = cached
            } else {
                let node = process.node
                cell = lua.withBytes(at: 1) { node.cell(forDestination: $0) } ?? nil
                if let cell { state.destinations.remember(cell, forStringAt: 1, in: lua, main: process.lua) }
            }
        } else if let name = lua.stringCoercing(at: 1), let pid = process.node.resolve(name) {
            cell = process.node.cellIfAlive(pid)
        }
        guard let cell else {
            let node = process.node
            let target = lua.stringCoercing(at: 1) ?? ""
            if let status = signalWorkflow(target, process: process, lua: lua, top: top) { return status }
            if node.resolve(target) == nil {
                return refuse(.notFound("could not resolve '\(target)' as PID or registered name"), process, lua)
            }
            return refuse(WippyError("process not found: \(target)", kind: .notFound, retryable: false), process, lua)
        }
        // read once: each read of `process.cell.worker` (and of `process.node`, through it) retains it
        let senderWorker = process.cell.worker
        if cell.worker === senderWorker, let target = LuaProcess.behavior(of: cell) {
            // From now on, sends to it from this worker can take the C hand-off while it waits.
            if target.record == nil { _ = target.ensureRecord() }
            switch target.deliverDirect(from: process, source: lua, topicIndex: 2, firstPayload: 3, payloadCount: top - 2) {
            case .delivered:
                lua.push(true)
                return 1
            case .refused:
                lua.push(false)
                lua.insert(at: -2)
                return 2
            case .notApplicable:
                break
            }
        }
        var payloads: [Payload] = []
        if top > 2 {
            switch LuaValueConverter.export(from: 3, to: top, in: lua, state: process.workerState) {
            case .success(let values): payloads = values
            case .failure(let error): return refuse(error, process, lua)
            }
        }
        let topic = lua.string(at: 2) ?? ""
        senderWorker.host.node.send(to: cell, .message(Message(from: process.pid, topic: topic, payloads: payloads)), fromWorker: senderWorker)
        lua.push(true)
        return 1
    }

    /// A send to a workflow PID whose run has no live process here: handed to its host's engine, which
    /// journals it. Nil when `target` is not a workflow PID.
    static func signalWorkflow(_ target: String, process: LuaProcess, lua: Lua, top: Int32) -> Int32? {
        guard let pid = process.node.resolve(target), let id = pid.workflowID,
            let gateway = process.node.gateway(forHost: pid.host)
        else { return nil }
        var payloads: [Payload] = []
        if top > 2 {
            switch LuaValueConverter.export(from: 3, to: top, in: lua, state: process.workerState) {
            case .success(let values): payloads = values
            case .failure(let error): return refuse(error, process, lua)
            }
        }
        let result = Mutex<WippyError?>(nil)
        gateway.signal(workflowID: id, Message(from: process.pid, topic: lua.string(at: 2) ?? "", payloads: payloads)) { error in
            result.withLock { $0 = error }
        }
        if let error = result.withLock({ $0 }) { return refuse(error, process, lua) }
        lua.push(true)
        return 1
    }

    /// A linked spawn from a workflow: child workflows are monitored, never linked.
    static func refuseLinkInWorkflow(_ lua: Lua, _ process: LuaProcess) -> Int32 {
        process.workerState.fail(
            .invalid("workflows cannot be linked; child workflows are monitored automatically (use spawn or spawn_monitored)"), on: lua)
    }

    /// `false, err`: how `send` reports a failure.
    static func refuse(_ error: WippyError, _ process: LuaProcess, _ lua: Lua) -> Int32 {
        lua.push(false)
        process.workerState.pushError(error, on: lua)
        return 2
    }

    static let inbox: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        process.pushSubscription(.inbox, on: lua)
        return 1
    }

    static let events: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        process.pushSubscription(.events, on: lua)
        return 1
    }

    static let listen: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        guard let topic = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        if topic.isEmpty { return process.workerState.fail(.invalid("topic cannot be empty"), on: lua) }
        if topic.hasPrefix("@") { return process.workerState.fail(.invalid("cannot listen to @ topics"), on: lua) }
        var messages = false
        if lua.type(at: 2) == .table, lua.rawGet(2, key: "message") == .boolean {
            messages = lua.bool(at: -1)
            lua.pop()
        }
        process.pushSubscription(.topic(topic), messages: messages, on: lua)
        return 1
    }

    static let unlisten: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        guard let channel = LuaChannel.at(1, in: lua) else { return lua.typeError(1, expected: "channel") }
        guard case .topic = channel.source, channel.ownerSerial == process.serial else {
            lua.push(false)
            process.workerState.pushError(.invalid("channel is not a listen subscription"), on: lua)
            return 2
        }
        process.unsubscribe(channel.source!)
        process.close(channel)
        lua.push(true)
        return 1
    }

    /// `returnsPID` false: the caller drops the result (``quietSpawn``), so a successful spawn pushes nothing
    /// and the child's PID text is never made.
    static func spawn(_ lua: Lua, function: String, monitor: Bool, link: Bool, returnsPID: Bool = true) -> Int32 {
        guard let (task, process) = context(lua) else { return noProcess(lua) }
        let top = lua.top
        guard top >= 2, lua.type(at: 1) == .string, lua.type(at: 2) == .string else {
            return process.workerState.fail(.invalid("\(function) requires at least id and host arguments"), on: lua)
        }
        switch process.spawnTarget(idAt: 1, hostAt: 2, in: lua) {
        case .success(let target):
            if top > 2, process.workflow == nil,
                let pid = process.spawnKeepingArguments(target, count: top - 2, in: lua, monitor: monitor, link: link)
            {
                guard returnsPID else { return 0 }
                lua.push(pid: pid)
                return 1
            }
            var arguments: [Payload] = []
            if top > 2 {
                switch LuaValueConverter.export(from: 3, to: top, in: lua, state: process.workerState) {
                case .success(let values): arguments = values
                case .failure(let error): return process.workerState.fail(error, on: lua)
                }
            }
            if let session = process.workflow {
                // From a workflow, a spawn starts a child workflow (journaled).
                if link { return refuseLinkInWorkflow(lua, process) }
                return session.spawnChild(
                    task, from: lua, program: target.program, host: target.host, arguments: arguments, spawner: nil, wait: false)
            }
            if let status = WorkflowSpawn.spawnIfWorkflow(
                lua, process: process, target: target, arguments: arguments, monitor: monitor, link: link, spawner: nil)
            {
                return status
            }
            let pid = process.spawn(target, arguments: arguments, monitor: monitor, link: link)
            guard returnsPID else { return 0 }
            lua.push(pid: pid)
            return 1
        case .failure(let error):
            return process.workerState.fail(error, on: lua)
        }
    }

    /// `process.spawn(...)` as a statement, whose result nobody reads: the translator makes such a statement
    /// call `__wippy_spawn(...)`, bound to this (``LuaWorkerState/pushReceiveBinding(deterministic:on:)``).
    /// It spawns as `spawn` does but returns nothing on success: a one-shot spawn loop would otherwise make
    /// and intern one PID string per child (about a tenth of a child's whole life) only to drop it.
    static let quietSpawn: LuaNativeFunction = {
        spawn(Lua($0!), function: "spawn", monitor: false, link: false, returnsPID: false)
    }

    static let spawn: LuaNativeFunction = { spawn(Lua($0!), function: "spawn", monitor: false, link: false) }
    static let spawnMonitored: LuaNativeFunction = {
        spawn(Lua($0!), function: "spawn_monitored", monitor: true, link: false)
    }
    static let spawnLinked: LuaNativeFunction = { spawn(Lua($0!), function: "spawn_linked", monitor: false, link: true) }
    static let spawnLinkedMonitored: LuaNativeFunction = {
        spawn(Lua($0!), function: "spawn_linked_monitored", monitor: true, link: true)
    }

    /// `process.exec(id, host, ...)`: spawn and wait for the result.
    static let exec: LuaNativeFunction = { state in exec(Lua(state!), first: 1, spawner: nil) }

    /// `exec` with id and host at `first` and `first + 1`, the arguments after them.
    static func exec(_ lua: Lua, first: Int32, spawner: Spawner?) -> Int32 {
        guard let (task, process) = context(lua) else { return noProcess(lua) }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let top = lua.top
        guard top >= first + 1, let id = lua.string(at: first), let hostID = lua.string(at: first + 1) else {
            return process.workerState.fail(.invalid("exec requires id and host arguments"), on: lua)
        }
        if id.isEmpty { return process.workerState.fail(.invalid("process ID required"), on: lua) }
        guard let colon = id.firstIndex(of: ":"), colon != id.startIndex, id.index(after: colon) != id.endIndex else {
            return process.workerState.fail(.invalid("invalid process ID format (namespace:name required)"), on: lua)
        }
        if hostID.isEmpty { return process.workerState.fail(.invalid("host ID required"), on: lua) }
        let arguments: [Payload]
        switch LuaValueConverter.export(from: first + 2, to: top, in: lua, state: process.workerState) {
        case .success(let values): arguments = values
        case .failure(let error): return process.workerState.fail(error, on: lua)
        }
        if let session = process.workflow {
            // From a workflow, exec runs a child workflow and waits for its result (journaled).
            switch process.spawnTarget(idAt: first, hostAt: first + 1, in: lua) {
            case .success(let target):
                return session.spawnChild(
                    task, from: lua, program: target.program, host: target.host, arguments: arguments, spawner: spawner, wait: true)
            case .failure(let error): return process.workerState.fail(error, on: lua)
            }
        }
        let token = process.suspendForResult(task)
        let cell = process.cell
        let result = process.spawnProcess(
            id: id, host: hostID, arguments: arguments, monitor: false, link: false, spawner: spawner
        ) { _, result in cell.worker.complete(cell, token: token, .result(result)) }
        if case .failure(let error) = result {
            process.cancelPending(token)
            task.state = .running
            return process.workerState.fail(error, on: lua)
        }
        return lua.yieldToScheduler()
    }

    static func withTarget(_ lua: Lua, _ name: String, _ body: (LuaProcess, PID) -> WippyError?) -> Int32 {
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        guard let target = destination(lua, 1) else {
            return process.workerState.fail(.invalid("\(name) requires a destination argument"), on: lua)
        }
        guard let pid = process.node.resolve(target) else {
            return process.workerState.fail(.notFound("could not resolve '\(target)' as PID or registered name"), on: lua)
        }
        if let error = body(process, pid) { return process.workerState.fail(error, on: lua) }
        lua.push(true)
        return 1
    }

    static let terminate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        if let (task, process) = context(lua), let target = destination(lua, 1), process.node.resolve(target) == process.pid {
            // Terminating yourself ends you now, not after you next block.
            if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
            process.pendingFailure = ProcessResult.terminated.error
            _ = task.block()
            return lua.yieldToScheduler()
        }
        if let (task, process) = context(lua), let target = destination(lua, 1), let pid = process.node.resolve(target),
            let id = pid.workflowID, let gateway = process.node.gateway(forHost: pid.host)
        {
            // A workflow's end is journaled by its engine before its process ends: the caller waits for that
            // write and gets `true`, or `nil, err` when the run could not be terminated (it has ended, or the
            // store refused the write).
            if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
            let token = process.suspendForResult(task)
            let cell = process.cell
            // Held until the answer is posted: the host owns the worker the cell points to.
            let host = cell.worker.host
            gateway.cancel(workflowID: id, from: process.pid, reason: "terminated", terminate: true) { error in
                let result = error.map { ProcessResult.failure($0) } ?? ProcessResult(value: .bool(true))
                withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .result(result)) }
            }
            return lua.yieldToScheduler()
        }
        return withTarget(lua, "terminate") { process, pid in
            if process.workerState.runtime.isTerminalHost(pid.host) { return nil }
            return process.node.terminate(pid) ? nil : .notFound("process not found")
        }
    }

    static let cancel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let reason = lua.stringCoercing(at: 2) ?? ""
        return withTarget(lua, "cancel") { process, pid in
            process.node.cancel(pid, from: process.pid, reason: reason) ? nil : .notFound("process not found")
        }
    }

    static let monitor: LuaNativeFunction = { state in
        if let process = LuaProcess.current(Lua(state!)), process.workflow != nil {
            return process.workerState.fail(.invalid("child workflows are monitored automatically; process.monitor is not available in workflows"), on: Lua(state!))
        }
        return withTarget(Lua(state!), "monitor") { process, pid in
            do throws(WippyError) { try process.node.monitor(watcher: process.pid, target: pid) } catch { return error }
            return nil
        }
    }

    static let unmonitor: LuaNativeFunction = { state in
        withTarget(Lua(state!), "unmonitor") { process, pid in
            process.node.unmonitor(watcher: process.pid, target: pid)
            return nil
        }
    }

    static let link: LuaNativeFunction = { state in
        if let process = LuaProcess.current(Lua(state!)), process.workflow != nil {
            return process.workerState.fail(.invalid("workflows cannot be linked (no bidirectional links across durable runs); process.link is not available in workflows"), on: Lua(state!))
        }
        return withTarget(Lua(state!), "link") { process, pid in
            do throws(WippyError) { try process.node.link(process.pid, pid) } catch { return error }
            return nil
        }
    }

    static let unlink: LuaNativeFunction = { state in
        withTarget(Lua(state!), "unlink") { process, pid in
            process.node.unlink(process.pid, pid)
            return nil
        }
    }

    static let getOptions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        lua.newTable()
        lua.push(process.trapLinks)
        lua.rawSet(-2, key: "trap_links")
        lua.push(process.upgradable)
        lua.rawSet(-2, key: "upgradable")
        return 1
    }

    static let setOptions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        guard lua.type(at: 1) == .table else {
            lua.push(false)
            process.workerState.pushError(.invalid("options parameter must be a table"), on: lua)
            return 2
        }
        var problem: WippyError?
        lua.pushNil()
        while lua.next(1) {
            let key = lua.string(at: -2) ?? ""
            switch key {
            case "trap_links":
                if lua.type(at: -1) == .boolean { process.trapLinks = lua.bool(at: -1) } else {
                    problem = .invalid("trap_links must be a boolean")
                }
            case "upgradable":
                if lua.type(at: -1) == .boolean { process.upgradable = lua.bool(at: -1) } else {
                    problem = .invalid("upgradable must be a boolean")
                }
            default:
                problem = problem ?? .invalid("option \(key) is not supported")
            }
            lua.pop()
        }
        if let problem {
            lua.push(false)
            process.workerState.pushError(problem, on: lua)
            return 2
        }
        lua.push(true)
        return 1
    }

    static let register: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (_, process) = context(lua) else { return noProcess(lua) }
        guard let name = lua.stringCoercing(at: 1), !name.isEmpty else { return lua.typeError(1, expected: "string") }
        var pid = process.pid
        if !lua.isNil(at: 2) {
            guard lua.type(at: 2) == .string, let text = lua.string(at: 2) else {
                return process.workerState.fail(.invalid("pid must be a string"), on: lua)
            }
            guard let parsed = PID(parsing: text) else { return process.workerState.fail(.invalid("invalid pid: \(text)"), on: lua) }
            pid = parsed
        }
        if !lua.isNil(at: 3) {
            guard let scope = lua.integer(at: 3) else { return process.workerState.fail(.invalid("scope must be a number"), on: lua) }
            if scope != 0 {
                return process.workerState.fail(WippyError("cluster name scopes are not available on a standalone node", kind: .unavailable), on: lua)
            }
        }
        do throws(WippyError) {
            try process.node.register(name: name, for: pid)
        } catch {
            return process.workerState.fail(error, on: lua)
        }
        lua.push(true)
        return 1
    }

    static let lookup: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let name = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        let worker = LuaWorkerState.of(lua)
        guard let pid = worker.runtime.node.names.lookup(name) else {
            return worker.fail(.notFound("name not registered"), on: lua)
        }
        lua.push(pid.description)
        return 1
    }

    static let unregister: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let name = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        lua.push(LuaWorkerState.of(lua).runtime.node.names.unregister(name))
        return 1
    }

    /// `coroutine.spawn(fn)`: a new task of the calling process; it runs first.
    static let spawnCoroutine: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .function else { return lua.typeError(1, expected: "function") }
        guard let (task, process) = context(lua) else { return lua.raise("coroutine.spawn needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        process.spawnTask(function: 1, caller: task, on: lua)
        return lua.yieldToScheduler()
    }
}
