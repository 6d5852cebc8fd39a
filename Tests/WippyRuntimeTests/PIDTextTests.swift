import Testing
import WippyCore
import WippyLua
import WippyRuntime

/// `Lua.push(pid:)` writes the usual PID (no node part, not a workflow's) on its own short path: the text must
/// be exactly the PID's description, counter padding and all, and the other kinds still come out whole.
@Suite struct PIDTextTests {
    static let pids: [PID] = [
        PID(host: "app:processes", uniq: 0),
        PID(host: "app:processes", uniq: 1),
        PID(host: "app:processes", uniq: 0xabc),
        PID(host: "app:processes", uniq: 0xfffff),
        PID(host: "app:processes", uniq: 0x10_0000),
        PID(host: "h", uniq: 0x1234_5678_9abc),
        PID(host: String(repeating: "long.namespace:", count: 5) + "host", uniq: 0x7fff_ffff_ffff_ffff),
        PID(host: "", uniq: 42),
        PID(node: "far", host: "x:y", uniq: 0xabc),
    ]

    @Test(arguments: pids)
    func pushedTextIsTheDescription(_ pid: PID) {
        let state = LuaState(standardLibraries: false)
        let lua = state.main
        lua.push(pid: pid)
        #expect(lua.string(at: -1) == pid.description)
    }
}
