import HashTreeCollections
import Synchronization
import WippyCore
import WippyRuntime

/// The registry handler of Lua code entries (`function.lua`, `process.lua`, `library.lua`,
/// `workflow.lua`): compiles each created or updated entry before anything changes (a syntax error rejects
/// the changeset, naming file, entry and line), checks imports, and at commit installs the new code.
///
/// New calls and spawns use the new code; calls and processes already running keep theirs. Everything that
/// imports a changed library (transitively) is renewed, so it picks the new library up as well.
final class LuaCodeKind: RegistryParticipant, @unchecked Sendable {
    static let kinds: Set<String> = ["function.lua", "process.lua", "library.lua", "workflow.lua"]

    let runtime: LuaRuntime
    // Staged by the running transaction (only the applying thread touches them).
    private var staged: [EntryID: LuaProgram] = [:]
    private var removed: Set<EntryID> = []
    /// Entries whose code changed in the last committed transaction, including renewed importers.
    private let lastChanged = Mutex<Set<EntryID>>([])

    init(runtime: LuaRuntime) {
        self.runtime = runtime
    }

    func handles(kind: String) -> Bool { LuaCodeKind.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            let compiler = LuaEntryCompiler(modules: runtime.modules)
            let program = try compiler.compile(change.entry)
            for (alias, target) in program.imports {
                guard let library = transaction.entry(target) else {
                    throw WippyError.notFound("import '\(alias)' refers to \(target), which does not exist")
                }
                guard library.kind == "library.lua" else {
                    throw WippyError.invalid("import '\(alias)' refers to \(target), which is not a library.lua")
                }
            }
            staged[change.id] = program
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    /// Imports still resolve after the whole changeset, and form no cycle.
    func finish(_ transaction: RegistryTransaction) throws(WippyError) {
        // Only a change of code can break an import.
        let touchesCode = transaction.applied.contains { change in
            LuaCodeKind.kinds.contains(change.entry.kind) || change.original.map { LuaCodeKind.kinds.contains($0.kind) } ?? false
        }
        guard touchesCode else { return }
        for (id, entry) in transaction.working where LuaCodeKind.kinds.contains(entry.kind) {
            guard let imports = importTargets(of: id, entry: entry) else { continue }
            for target in imports {
                guard let library = transaction.working[target], library.kind == "library.lua" else {
                    throw WippyError.invalid("\(entryPlace(entry))entry \(id): import \(target) does not exist (removed?)")
                }
            }
        }
        for id in staged.keys {
            var visiting: [EntryID] = []
            try checkCycle(from: id, working: transaction.working, visiting: &visiting)
        }
        // A workflow may only use allowed modules through its imports too (its own list was checked when it
        // compiled); a changed library can break a workflow that did not change.
        for (id, entry) in transaction.working where entry.kind == LuaEntryKind.workflow.rawValue {
            try checkWorkflowModules(of: id, entry: entry)
        }
    }

    /// Refuses a workflow that reaches, through its imported libraries, a module a workflow may not use.
    private func checkWorkflowModules(of id: EntryID, entry: Entry) throws(WippyError) {
        guard let program = staged[id] ?? runtime.program(id) else { return }
        var seen = Set<EntryID>()
        var pending: [(library: EntryID, chain: [EntryID])] = program.imports.reversed().map { ($0.entry, [$0.entry]) }
        while let (library, chain) = pending.popLast() {
            guard seen.insert(library).inserted, let code = staged[library] ?? runtime.program(library) else { continue }
            for module in code.modules {
                guard let reason = WorkflowModulePolicy.refusal(of: module, classes: runtime.modules[module]?.classes) else {
                    continue
                }
                let through = chain.map(\.description).joined(separator: " -> ")
                throw WippyError.invalid(
                    "\(entryPlace(entry))entry \(id): module '\(module)' (listed by library \(library), imported through \(through)) "
                        + "is not allowed in a workflow: \(reason)")
            }
            for next in code.imports.reversed() { pending.append((next.entry, chain + [next.entry])) }
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        var changed = Set(staged.keys).union(removed)
        for id in removed { runtime.removeProgram(id) }
        for program in staged.values { runtime.install(program) }
        // Importers of changed libraries, transitively, get renewed programs.
        let changedLibraries = transaction.applied.filter { $0.entry.kind == "library.lua" || $0.original?.kind == "library.lua" }
            .map(\.id)
        if !changedLibraries.isEmpty {
            var frontier = Set(changedLibraries)
            var renewed = Set<EntryID>()
            while !frontier.isEmpty {
                var next = Set<EntryID>()
                for id in runtime.programIDs where !renewed.contains(id) {
                    guard let program = runtime.program(id),
                        program.imports.contains(where: { frontier.contains($0.entry) })
                    else { continue }
                    if staged[id] == nil { runtime.install(program.renewed()) }
                    renewed.insert(id)
                    next.insert(id)
                }
                frontier = next
            }
            changed.formUnion(renewed)
        }
        lastChanged.withLock { $0 = changed }
        staged = [:]
        removed = []
        // Running processes that opted in hear about it (they may call process.upgrade()).
        runtime.notifyOutdated(changed)
        // Workers drop what they compiled of the code replaced or removed.
        if !changed.isEmpty { runtime.retireReplacedCode() }
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// Code entries whose program changed in the last commit (created, updated, deleted or renewed).
    var changedInLastCommit: Set<EntryID> { lastChanged.withLock { $0 } }

    private func importTargets(of id: EntryID, entry: Entry) -> [EntryID]? {
        if let program = staged[id] { return program.imports.map(\.entry) }
        return runtime.program(id)?.imports.map(\.entry)
    }

    private func checkCycle(from id: EntryID, working: RegistryEntries, visiting: inout [EntryID]) throws(WippyError) {
        if visiting.contains(id) {
            throw WippyError.invalid("import cycle: \((visiting + [id]).map(\.description).joined(separator: " -> "))")
        }
        guard let entry = working[id], let targets = importTargets(of: id, entry: entry) else { return }
        visiting.append(id)
        for target in targets { try checkCycle(from: target, working: working, visiting: &visiting) }
        visiting.removeLast()
    }

    private func entryPlace(_ entry: Entry) -> String { entry.origin.map { "\($0): " } ?? "" }
}
