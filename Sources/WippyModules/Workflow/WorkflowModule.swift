import WippyCore
public import WippyLua
public import WippyRuntime

/// The `workflow` module (durable-cluster-ai §1.3-1.4): `version`, `info`, `history_length`,
/// `history_size`, `attrs`, `exec`, and ours: `expose` (query state). Outside a workflow they behave as Wippy's do: `version` returns
/// `max_supported`, the history functions 0, `info` nil, and `attrs`/`exec` an error.
public struct WorkflowModule: LuaModule {
    public let name = "workflow"
    public let classes: Set<ModuleClass> = [.workflow]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 7)
        lua.setFunctions(
            [
                ("version", Self.version), ("info", Self.info), ("history_length", Self.historyLength),
                ("history_size", Self.historySize), ("attrs", Self.attrs), ("exec", Self.exec), ("expose", Self.expose),
            ], in: -1)
    }

    static func session(_ lua: Lua) -> WorkflowSession? { LuaProcess.current(lua)?.workflow }

    /// `workflow.version(change_id, min_supported, max_supported)`.
    static let version: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let change = lua.string(at: 1), !change.isEmpty else { return lua.typeError(1, expected: "string") }
        guard let minimum = lua.integer(at: 2), let maximum = lua.integer(at: 3) else {
            return lua.raise("workflow.version(change_id, min_supported, max_supported) needs two integers")
        }
        guard minimum <= maximum else { return lua.raise("workflow.version: min_supported \(minimum) > max_supported \(maximum)") }
        guard let session = session(lua) else {
            lua.push(maximum)
            return 1
        }
        guard let recorded = session.version(from: lua, change: change, min: minimum, max: maximum) else {
            return lua.yieldToScheduler()
        }
        guard recorded >= minimum && recorded <= maximum else {
            return LuaWorkerState.of(lua).fail(
                .invalid("workflow.version \(change): recorded version \(recorded) is outside \(minimum)...\(maximum)"), on: lua)
        }
        lua.push(recorded)
        return 1
    }

    /// `workflow.info()`: `{workflow_id, run_id, entry, registry_version, history_length, history_size, replaying}`.
    static let info: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let session = session(lua) else {
            lua.pushNil()
            return 1
        }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 8)
        let fields: [(String, Payload)] = [
            ("workflow_id", .string(session.run.workflowID)), ("run_id", .string(session.run.runID)),
            ("workflow_type", .string(session.record.entry.description)), ("entry", .string(session.record.entry.description)),
            ("registry_version", .int(Int64(session.record.registryVersion))),
            ("history_length", .int(Int64(session.historyLength))), ("history_size", .int(Int64(session.historySize))),
            ("replaying", .bool(session.isReplaying)),
        ]
        let worker = LuaWorkerState.of(lua)
        for (key, value) in fields {
            LuaValueConverter.push(value, on: lua, state: worker)
            lua.rawSet(-2, key: key)
        }
        return 1
    }

    static let historyLength: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(session(lua)?.historyLength ?? 0))
        return 1
    }

    static let historySize: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(session(lua)?.historySize ?? 0))
        return 1
    }

    /// `workflow.attrs{search = {...}, memo = {...}}`: recorded with the run (a journaled `attrs` command;
    /// `wippy workflow show` prints the latest value of each key). Returns true.
    static let attrs: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let session = session(lua) else {
            return worker.fail(.invalid("workflow.attrs can only be used inside a workflow"), on: lua)
        }
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        let value: Payload
        do throws(UnsendableValue) {
            value = try LuaValueConverter.export(at: 1, in: lua, state: worker)
        } catch {
            return worker.fail(error.error(root: "attrs"), on: lua)
        }
        var sections: [(String, Payload)] = []
        for field in value.tableValue?.fields ?? [] {
            guard let name = field.key.stringValue, name == "search" || name == "memo" else {
                return worker.fail(.invalid("workflow.attrs: unknown field \(field.key.stringValue ?? "(not a string)") (use search and memo)"), on: lua)
            }
            guard let table = field.value.tableValue, table.array.isEmpty, table.fields.allSatisfy({ $0.key.stringValue != nil }) else {
                return worker.fail(.invalid("workflow.attrs: \(name) must be a table with string keys"), on: lua)
            }
            sections.append((name, field.value))
        }
        guard session.recordAttributes(from: lua, .map(sections)) else { return lua.yieldToScheduler() }
        lua.push(true)
        return 1
    }

    /// `workflow.expose(name, value)`: the run's query state. The latest value of each name is recorded with
    /// the run (a journaled `attrs` command) and printed by `wippy workflow show`, also after the run was
    /// evicted or restarted. Returns true.
    static let expose: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let session = session(lua) else {
            return worker.fail(.invalid("workflow.expose can only be used inside a workflow"), on: lua)
        }
        guard let name = lua.string(at: 1), !name.isEmpty else { return lua.typeError(1, expected: "string") }
        let value: Payload
        do throws(UnsendableValue) {
            value = lua.type(at: 2) == .none ? .null : try LuaValueConverter.export(at: 2, in: lua, state: worker)
        } catch {
            return worker.fail(error.error(root: name), on: lua)
        }
        guard session.recordAttributes(from: lua, .map([("query", .map([(name, value)]))])) else { return lua.yieldToScheduler() }
        lua.push(true)
        return 1
    }

    /// `workflow.exec(id, ...)`: runs workflow `id` as a child on this run's host and waits for its result
    /// (`value` or `nil, err`).
    static let exec: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let task = LuaTask.current(lua), let session = task.process.workflow else {
            return worker.fail(.invalid("workflow.exec is not yet supported outside a workflow"), on: lua)
        }
        let process = task.process
        guard let text = lua.string(at: 1), !text.isEmpty else { return lua.typeError(1, expected: "string") }
        let id = EntryID.resolve(text, in: process.program.entryID.namespace)
        guard let program = worker.runtime.program(id) else {
            return worker.fail(WippyError("workflow not found: \(id)", kind: .notFound, retryable: false), on: lua)
        }
        guard program.kind == .workflow || program.kind == .process else {
            return worker.fail(.invalid("\(id) is a \(program.kind.rawValue) entry, not a workflow"), on: lua)
        }
        let arguments: [Payload]
        switch LuaValueConverter.export(from: 2, to: lua.top, in: lua, state: worker) {
        case .success(let values): arguments = values
        case .failure(let error): return worker.fail(error, on: lua)
        }
        return session.spawnChild(
            task, from: lua, program: program, host: process.cell.worker.host, arguments: arguments, spawner: nil, wait: true)
    }
}
