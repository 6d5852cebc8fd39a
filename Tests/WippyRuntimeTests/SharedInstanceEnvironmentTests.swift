import Testing
import WippyCore
import WippyRuntime

/// The environment of the one instance of a program that every process of a worker shares holds the names
/// of its scope and of the base itself (`LuaWorkerState.pushEnvironment(flattened:)`): global reads there are
/// one lookup. A program instantiated per process keeps an empty environment (its names are found through
/// the metatable), so an idle process pays nothing for it.
@Suite struct SharedInstanceEnvironmentTests {
    /// What `main` reports: whether the environment's own table has each name, and that the names still
    /// read what they should.
    static let probe = """
        return { main = function()
            local own = {}
            for _, name in ipairs({"process", "require", "string", "tostring", "missing"}) do
                own[#own + 1] = name .. "=" .. tostring(rawget(_G, name) ~= nil)
            end
            local works = type(process.pid()) == "string" and string.upper("a") == "A" and missing == nil
            return table.concat(own, ",") .. ";" .. tostring(works)
        end }
        """

    private func install(_ id: String, shareable: Bool, on node: LuaTestNode) {
        let program = LuaProgram(
            entryID: EntryID(parsing: id), kind: .process, translatedSource: Array(Self.probe.utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: shareable)
        node.runtime.install(program)
    }

    /// Fails if the shared instance's environment lacks the names (the optimisation is gone), if a name the
    /// scope does not have appears, or if an environment made per process gets copies (idle memory).
    @Test func onlyTheSharedInstanceHoldsTheNamesItself() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        install("test:shared", shareable: true, on: node)
        install("test:own", shareable: false, on: node)
        // twice each: the second process of the shareable entry reuses the first one's instance
        for _ in 0..<2 {
            let shared = await node.run("test:shared")
            #expect(shared?.text == "process=true,require=true,string=true,tostring=true,missing=false;true")
            let own = await node.run("test:own")
            #expect(own?.text == "process=false,require=false,string=false,tostring=false,missing=false;true")
        }
    }
}
