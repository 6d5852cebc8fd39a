import Testing
import WippyCore
import WippyRuntime

/// A worker reuses the task objects of ended processes, with their threads, for the processes it starts
/// later; a reused task must behave as a new one.
@Suite struct TaskPoolTests {
    /// `main(parent, mode)`: with mode "blocked", leaves a coroutine blocked on a channel when it ends (its
    /// thread comes back suspended and must be reset); then reports its start values and a counter it keeps
    /// in a local (a reused thread must not carry anything over).
    private static let child = """
        local M = {}
        function M.main(parent, mode)
            local count = 0
            if mode == "blocked" then
                local ch = channel.new()
                coroutine.spawn(function() ch:receive() end)
            end
            for _ = 1, 3 do count = count + 1 end
            process.send(parent, "done", mode .. ":" .. tostring(count) .. ":" .. tostring(select("#", parent, mode)))
        end
        return M
        """

    private func makeNode() async -> LuaTestNode {
        let node = await LuaTestNode.make(workers: 1)
        let program = LuaProgram(
            entryID: EntryID(parsing: "test:child"), kind: .process, translatedSource: Array(Self.child.utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: true)
        node.runtime.install(program)
        return node
    }

    private func taskCounts(_ node: LuaTestNode) async -> (made: Int, reused: Int, held: Int) {
        await node.onFirstWorker { $0.taskCounts }
    }

    @Test func tasksOfEndedProcessesServeLaterOnesUnchanged() async {
        let node = await makeNode()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local me = process.pid()
                local inbox = process.inbox()
                local answers = {}
                for i = 1, 40 do
                    local mode = (i % 3 == 0) and "blocked" or "plain"
                    process.spawn("test:child", "app:processes", me, mode)
                    answers[#answers + 1] = inbox:receive():payload():data()
                end
                return table.concat(answers, ",")
            end }
            """)
        let expected = (1...40).map { $0 % 3 == 0 ? "blocked:3:2" : "plain:3:2" }.joined(separator: ",")
        #expect(result?.value.stringValue == expected)
        // One child runs at a time, so after the first few every start finds an ended one's task in the pool.
        // (A pooled task still referenced elsewhere is counted as held and not reused as an object.)
        let counts = await taskCounts(node)
        #expect(counts.reused + counts.held >= 30)
        #expect(counts.reused >= 20)
        #expect(counts.made <= 20)
    }
}
