import WippyLua

/// The sandbox of workflow runs: the shared base with `pairs`, `next`, `tostring`, `math` and `os` replaced by
/// their deterministic versions. Built on a worker the first time a run starts there; entries get environments
/// whose misses fall through to it instead of the ordinary base (``pushEnvironment(for:on:deterministic:)``).
/// Ordinary processes never see it and pay nothing for it.
extension LuaWorkerState {
    /// Pushes the base of workflow runs on the main stack, building it on first use.
    func pushWorkflowBase() {
        if workflowBaseRef.isValid {
            lua.push(workflowBaseRef)
            return
        }
        // Shared by every run of the worker: the worker's, not the first run's.
        let previous = memory.charge(.worker)
        defer { memory.charge(previous) }
        let lua = self.lua
        lua.push(baseRef)
        let base = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: 48)
        let workflow = lua.top
        lua.rawCopyFields(from: base, to: workflow)
        lua.push(readOnlySetRef)
        let readOnly = lua.top
        lua.pushDeterministicPairs(readOnlySet: readOnly)
        lua.rawSet(workflow, key: "pairs")
        lua.pushDeterministicNext(readOnlySet: readOnly)
        lua.rawSet(workflow, key: "next")
        lua.pop()
        lua.pushDeterministicToString()
        lua.rawSet(workflow, key: "tostring")

        replaceLibrary("math", in: workflow, base: base) { table in
            lua.push(native: DeterministicNatives.random)
            lua.rawSet(table, key: "random")
            lua.push(native: DeterministicNatives.randomseed)
            lua.rawSet(table, key: "randomseed")
        }
        replaceLibrary("os", in: workflow, base: base) { table in
            lua.push(native: DeterministicNatives.time)
            lua.rawSet(table, key: "time")
            lua.push(native: DeterministicNatives.date)
            lua.rawSet(table, key: "date")
            lua.push(native: DeterministicNatives.clock)
            lua.rawSet(table, key: "clock")
        }
        lua.pushValue(at: workflow)
        workflowBaseRef = lua.ref()
        lua.top = base - 1
        lua.push(workflowBaseRef)
    }

    /// Stores in `workflow[name]` a read-only copy of the base's library `name`, changed by `change`.
    private func replaceLibrary(_ name: String, in workflow: Int32, base: Int32, change: (Int32) -> Void) {
        let lua = self.lua
        lua.rawGet(base, key: name)
        guard pushReadOnlyContents(of: -1, on: lua) else {
            lua.pop()
            return
        }
        let contents = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: 40)
        let table = lua.top
        lua.rawCopyFields(from: contents, to: table)
        change(table)
        makeReadOnly()
        lua.rawSet(workflow, key: name)
        lua.pop(2)
    }
}
