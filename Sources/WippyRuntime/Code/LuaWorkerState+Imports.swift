import WippyCore

extension LuaWorkerState {
    /// The libraries `program` needs, dependencies first, each once. Cached per program.
    func importPlan(for program: LuaProgram) throws(WippyError) -> [LuaProgram] {
        // Most entries import nothing: no lookup on their spawn path.
        if program.imports.isEmpty { return [] }
        if let plan = importPlans[program.serial] { return plan }
        var plan: [LuaProgram] = []
        var done = Set<EntryID>()
        var visiting: [EntryID] = []
        func visit(_ program: LuaProgram) throws(WippyError) {
            for (alias, entry) in program.imports {
                if done.contains(entry) { continue }
                if visiting.contains(entry) {
                    throw WippyError.invalid("import cycle: \((visiting + [entry]).map(\.description).joined(separator: " -> "))")
                }
                guard let library = runtime.program(entry) else {
                    throw WippyError.notFound("\(program.entryID): import '\(alias)' refers to unknown entry \(entry)")
                }
                guard library.kind == .library else {
                    throw WippyError.invalid("\(program.entryID): import '\(alias)' refers to \(entry), which is not a library.lua")
                }
                visiting.append(entry)
                try visit(library)
                visiting.removeLast()
                done.insert(entry)
                plan.append(library)
            }
        }
        try visit(program)
        importPlans[program.serial] = plan
        return plan
    }
}
