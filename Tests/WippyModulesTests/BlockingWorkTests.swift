import Dispatch
import Synchronization
import Testing
import WippyCore
import WippyLua
import WippyRuntime

/// Gates a test opens by name, and marks Lua code and blocking work leave for the test to wait on.
/// `gate.pass(name)` is blocking work: it marks `started:<name>`, waits on a pool thread until the test
/// opens gate `name`, then marks `ended:<name>`.
final class Gates: Sendable {
    private struct State {
        var semaphores: [String: DispatchSemaphore] = [:]
        var marks: Set<String> = []
        var waiters: [(mark: String, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    private func semaphore(_ name: String) -> DispatchSemaphore {
        state.withLock { state in
            if let semaphore = state.semaphores[name] { return semaphore }
            let semaphore = DispatchSemaphore(value: 0)
            state.semaphores[name] = semaphore
            return semaphore
        }
    }

    /// The blocking work (on a pool thread).
    func pass(_ name: String) {
        mark("started:\(name)")
        semaphore(name).wait()
        mark("ended:\(name)")
    }

    func open(_ name: String) { semaphore(name).signal() }

    func has(_ mark: String) -> Bool { state.withLock { $0.marks.contains(mark) } }

    func mark(_ mark: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.marks.insert(mark)
            let ready = state.waiters.filter { $0.mark == mark }.map(\.continuation)
            state.waiters.removeAll { $0.mark == mark }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Resumes whoever waits for `mark` without making it (a wait that timed out).
    private func release(_ mark: String) {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let waiting = state.waiters.filter { $0.mark == mark }.map(\.continuation)
            state.waiters.removeAll { $0.mark == mark }
            return waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until `mark` is made, at most `limit`; false when it was not.
    func reached(_ mark: String, within limit: Duration = .seconds(20)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.state.withLock { state -> Bool in
                        if state.marks.contains(mark) { return true }
                        state.waiters.append((mark, continuation))
                        return false
                    }
                    if done { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            if !first { self.release(mark) }
            group.cancelAll()
            return first
        }
    }
}

/// `gate.pass(name)`: blocking work that waits until the test opens gate `name`, then returns
/// `"passed <name>"` (a name starting with `fail` makes the work throw instead). `gate.mark(name)`: a mark
/// the test can wait for.
struct GateModule: LuaModule {
    let name = "gate"
    let gates: Gates

    func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable()
        lua.push(lightUserdata: Unmanaged.passUnretained(gates).toOpaque())
        lua.push(native: Self.pass, upvalues: 1)
        lua.rawSet(-2, key: "pass")
        lua.push(lightUserdata: Unmanaged.passUnretained(gates).toOpaque())
        lua.push(native: Self.mark, upvalues: 1)
        lua.rawSet(-2, key: "mark")
    }

    static func gates(_ lua: Lua) -> Gates {
        Unmanaged<Gates>.fromOpaque(lua.userdata(at: Lua.upvalueIndex(1))!).takeUnretainedValue()
    }

    static let pass: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let gates = gates(lua)
        guard let task = LuaTask.current(lua), let name = lua.string(at: 1) else { return lua.raise("gate.pass(name) in a process") }
        let worker = task.process.workerState
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) -> String in
            gates.pass(name)
            if name.hasPrefix("fail") { throw WippyError.invalid("work \(name) failed") }
            return "passed \(name)"
        } resume: { thread, result in
            switch result {
            case .success(let text):
                thread.push(text)
                return 1
            case .failure(let error):
                return worker.fail(error, on: thread)
            }
        }
    }

    static let mark: LuaNativeFunction = { state in
        let lua = Lua(state!)
        gates(lua).mark(lua.string(at: 1) ?? "")
        return 0
    }
}

/// The blocking-work mechanism (`LuaProcess.performBlocking`): the caller waits, its worker does not.
@Suite struct BlockingWorkTests {
    let gates = Gates()
    let harness: ModulesHarness

    /// One worker: every process of a test shares it.
    init() {
        harness = ModulesHarness(workers: 1, extraModules: [GateModule(gates: gates)])
    }

    @Test func otherProcessesOfTheWorkerRunWhileTheWorkWaits() async throws {
        harness.install("test:echo", source: """
            return function()
                local msg = process.inbox():receive()
                local data = msg:payload():data()
                process.send(data[1], "echo", data[2])
            end
            """)
        harness.install("test:main", source: """
            return function()
                local echo = process.spawn("test:echo", "app:processes")
                local ch = channel.new(1)
                coroutine.spawn(function() ch:send(gate.pass("slow")) end)
                -- that task now waits on the pool; this task and the echo process share its worker
                process.send(echo, "ping", {process.pid(), "hello"})
                local reply = process.inbox():receive():payload():data()
                gate.mark("echoed " .. reply)
                local passed = ch:receive()
                return {reply, passed}
            end
            """, modules: ["gate"])
        let result = harness.startEntry("test:main")
        #expect(await gates.reached("started:slow"))
        // The round trip needs the worker while the work still waits for its gate.
        let echoed = await gates.reached("echoed hello")
        #expect(echoed, "another process of the worker could not run while the work waited")
        #expect(!gates.has("ended:slow"))
        gates.open("slow")
        let value = await result.value
        #expect(value.value == .array(["hello", "passed slow"]), "\(value)")
    }

    @Test func anErrorOfTheWorkIsNilErr() async {
        gates.open("fail-1")
        harness.install("test:failing", source: """
            return function()
                local value, err = gate.pass("fail-1")
                return {value == nil, err:kind(), tostring(err)}
            end
            """, modules: ["gate"])
        #expect(await harness.runEntry("test:failing").value == .array([true, "Invalid", "work fail-1 failed"]))
    }

    @Test func aProcessEndedWhileItsWorkRunsLosesOnlyTheResult() async {
        harness.install("test:victim", source: """
            return function(parent)
                process.send(parent, "blocking")
                gate.pass("orphan")
                gate.mark("victim resumed")
            end
            """, modules: ["gate"])
        harness.install("test:main", source: """
            return function()
                local victim = process.spawn_monitored("test:victim", "app:processes", process.pid())
                process.inbox():receive()
                process.terminate(victim)
                local event = process.events():receive()
                return {event.kind == process.event.EXIT, event.from == victim}
            end
            """, modules: ["gate"])
        #expect(await harness.runEntry("test:main").value == .array([true, true]))
        #expect(await gates.reached("started:orphan"))
        gates.open("orphan")
        #expect(await gates.reached("ended:orphan"))
        // The worker goes on serving; the dropped result resumed nothing.
        harness.install("test:after", source: "return function() return 'still serving' end")
        #expect(await harness.runEntry("test:after").value == "still serving")
        #expect(!gates.has("victim resumed"))
    }

    @Test func codeThatCannotYieldGetsLuasErrorAndStartsNothing() async {
        harness.install("test:sorting", source: """
            return function()
                -- a __tostring metamethod runs inside C (tostring); table.sort and gsub are Lua here and may yield
                local object = setmetatable({}, {__tostring = function() return gate.pass("never") end})
                local ok, err = pcall(tostring, object)
                return {ok, tostring(err):find("attempt to yield across a C%-call boundary") ~= nil}
            end
            """, modules: ["gate"])
        // Were the work started, it would end (and be seen) rather than hang the test.
        let opener = Task { if await gates.reached("started:never", within: .seconds(30)) { gates.open("never") } }
        #expect(await harness.runEntry("test:sorting").value == .array([false, true]))
        opener.cancel()
        #expect(!gates.has("started:never"))
        #expect(harness.runtime.blockingPool.pendingCount == 0)
    }

    @Test func afterShutdownWorkIsRefusedAsUnavailable() async {
        harness.install("test:late", source: """
            return function()
                local value, err = gate.pass("late")
                return {value == nil, err:kind(), tostring(err)}
            end
            """, modules: ["gate"])
        #expect(harness.runtime.shutdown(timeout: .seconds(10)))
        #expect(await harness.runEntry("test:late").value == .array([true, "Unavailable", "the runtime is shutting down"]))
        #expect(!gates.has("started:late"))
    }
}
