import Testing
import WippyCore
import WippyRuntime

/// A child spawned onto its parent's worker gets scalar start arguments as the Lua values themselves (the
/// worker's argument stash); everything else still travels as payloads. Either way the child must see
/// exactly what was passed.
@Suite struct SpawnArgumentTests {
    /// Reports its arguments to `parent`: count, then `type:value` for each (`integer`/`float` for numbers,
    /// the bare type for tables).
    private static let echo = """
        local M = {}
        function M.main(parent, ...)
            local n = select("#", ...)
            local parts = {tostring(n)}
            for i = 1, n do
                local v = select(i, ...)
                local t = type(v)
                if t == "number" then t = math.type(v) end
                if t == "table" then parts[#parts + 1] = t else parts[#parts + 1] = t .. ":" .. tostring(v) end
            end
            process.send(parent, "args", table.concat(parts, " "))
        end
        return M
        """

    /// A node with one worker (every child lands on its parent's worker) and the echo entry, shareable.
    private func makeNode() async -> LuaTestNode {
        let node = await LuaTestNode.make(workers: 1)
        let program = LuaProgram(
            entryID: EntryID(parsing: "test:echo"), kind: .process, translatedSource: Array(Self.echo.utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: true)
        node.runtime.install(program)
        return node
    }

    /// (children given stashed arguments so far, slots still waiting) on the node's only worker.
    private func stashCounts(_ node: LuaTestNode) async -> (stored: Int, waiting: Int) {
        await node.onFirstWorker { $0.argumentStashCounts }
    }

    private static let asker = """
        local me = process.pid()
        local inbox = process.inbox()
        local function ask(...)
            process.spawn("test:echo", "app:processes", me, ...)
            return inbox:receive():payload():data()
        end
        """

    @Test func argumentsArriveAsGivenWhicheverWayTheyTravel() async {
        let node = await makeNode()
        defer { node.shutdown() }
        let short = String(repeating: "s", count: 40)
        let long = String(repeating: "l", count: 41)
        let result = await node.run(source: """
            return { main = function()
            \(Self.asker)
                local answers = {}
                answers[#answers + 1] = ask()
                answers[#answers + 1] = ask(1, nil, true, 2.5, "abc", false, nil)
                answers[#answers + 1] = ask(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                answers[#answers + 1] = ask(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
                answers[#answers + 1] = ask("\(short)")
                answers[#answers + 1] = ask("\(long)", 3)
                answers[#answers + 1] = ask({1, 2}, "t")
                answers[#answers + 1] = ask(math.maxinteger, -0.0, 1e300)
                return table.concat(answers, "\\n")
            end }
            """)
        let fifteen = (1...15).map { "integer:\($0)" }.joined(separator: " ")
        let expected = [
            "0",
            "7 integer:1 nil:nil boolean:true float:2.5 string:abc boolean:false nil:nil",
            "15 " + fifteen,
            "16 " + fifteen + " integer:16",
            "1 string:" + short,
            "2 string:\(long) integer:3",
            "2 table string:t",
            "3 integer:9223372036854775807 float:-0.0 float:1e+300",
        ]
        #expect(result?.value.stringValue?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == expected)
        // The first child made the shared instance (its arguments went as payloads); of the others, those with
        // at most 16 short scalars were kept in Lua: the 7, the 15 (16 with the parent's PID), the 40-byte string
        // and the number edge cases.
        let counts = await stashCounts(node)
        #expect(counts.stored == 4)
        #expect(counts.waiting == 0)
    }

    @Test func aChildEndedBeforeItStartsGivesItsArgumentsBack() async {
        let node = await makeNode()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
            \(Self.asker)
                local first = ask("warm")
                -- Spawned and terminated in one slice: the child never runs.
                local doomed = process.spawn("test:echo", "app:processes", me, "never")
                process.terminate(doomed)
                local after = ask("after")
                return first .. "|" .. after
            end }
            """)
        #expect(result?.value.stringValue == "1 string:warm|1 string:after")
        let counts = await stashCounts(node)
        #expect(counts.stored == 2)
        #expect(counts.waiting == 0)
    }

    /// Children spawned one after the other onto the parent's worker take the starter the one before gave back
    /// (the worker's starter pool), and each still starts its own program with its own arguments: the pooled
    /// starter's program, context and slot are those of the latest spawn, never the previous child's.
    @Test func pooledStartersCarryEachChildsOwnProgramAndArguments() async {
        let node = await makeNode()
        defer { node.shutdown() }
        let other = LuaProgram(
            entryID: EntryID(parsing: "test:other"), kind: .process,
            translatedSource: Array(Self.echo.replacing("\"args\"", with: "\"other\"").utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: true)
        node.runtime.install(other)
        let result = await node.run(source: """
            return { main = function()
                local me = process.pid()
                local inbox = process.inbox()
                local got = {}
                for i = 1, 40 do
                    local id = (i % 2 == 0) and "test:echo" or "test:other"
                    process.spawn(id, "app:processes", me, i, "x" .. i)
                    local msg = inbox:receive()
                    got[#got + 1] = msg:topic() .. "=" .. msg:payload():data()
                end
                return table.concat(got, ",")
            end }
            """)
        let expected = (1...40).map { i in (i % 2 == 0 ? "args" : "other") + "=2 integer:\(i) string:x\(i)" }
        #expect(result?.value.stringValue?.split(separator: ",").map(String.init) == expected)
        let reused = await node.onFirstWorker { $0.startersReused }
        // The first child of each program makes its shared instance and takes the general path; of the 38
        // others, every one after the first stashed spawn finds the previous child's starter in the pool.
        #expect(reused >= 37)
    }

    /// A burst of children spawned before any starts gives its starters back once they start, and the next
    /// burst takes them all from the pool: fails if the pool keeps too few (it kept 64, so a spawn loop
    /// allocated and freed a starter for nearly every child) or if a reused starter mixes up arguments.
    @Test func aBurstOfChildrenReusesTheStartersOfTheBurstBefore() async {
        let node = await makeNode()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local me = process.pid()
                local inbox = process.inbox()
                local total = 0
                for burst = 1, 3 do
                    for i = 1, 1000 do process.spawn("test:echo", "app:processes", me, i) end
                    for _ = 1, 1000 do
                        local n = tonumber(string.match(inbox:receive():payload():data(), "integer:(%d+)"))
                        total = total + n
                    end
                end
                return total
            end }
            """)
        #expect(result?.text == "value: \(3 * 1000 * 1001 / 2)", "\(String(describing: result))")
        let reused = await node.onFirstWorker { $0.startersReused }
        // The second and third bursts find the starters of the burst before in the pool (up to 2 000 reuses;
        // a few fewer: a child whose run hands its message to the waiting parent, which then spawns, still
        // holds its starter, which the pool then drops). A pool of 64 gave about 170 here.
        #expect(reused >= 1000, "\(reused)")
    }
}
